"""Public routes: fan pages (/s/...), uploaded media, the health check."""
import importlib

from app.views.public.speed import page_version
from app.views.public.blueprint import fan_bp
from app.views.public.health import health_bp
from app.views.public.media import media_bp

# Modules that add routes to fan_bp; imported for their side effect, once.
FAN_ROUTE_MODULES = ["fan_pages", "presave", "fan_me"]


def register_public(app):
    page_version.install()
    for name in FAN_ROUTE_MODULES:
        importlib.import_module(f"app.views.public.{name}")
    app.register_blueprint(fan_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(health_bp)
