"""Public routes: uploaded media, the health check (fan pages come here too)."""
from app.views.public.health import health_bp
from app.views.public.media import media_bp


def register_public(app):
    app.register_blueprint(media_bp)
    app.register_blueprint(health_bp)
