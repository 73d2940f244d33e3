"""Public routes: fan pages (/s/...), short links (/r/...), uploaded media, the health check,
the SMS provider's webhooks, the TLS proxy's question (/internal/tls-ask), Prometheus's
scrape (/metrics)."""
from app.views.public import (ads, fan_me, fan_pages, fan_requests, follow,  # noqa: F401
                              future_save, message_links, notify, presave, privacy,
                              unsubscribe)  # (routes of fan_bp)
from app.views.public.blueprint import fan_bp
from app.views.public.health import health_bp
from app.views.public.media import media_bp
from app.views.public.metrics_scrape import metrics_bp
from app.views.public.short_links import short_bp
from app.views.public.sms_webhooks import sms_bp
from app.views.public.tls_ask import internal_bp


def register_public(app):
    app.register_blueprint(fan_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(short_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(sms_bp)
    app.register_blueprint(internal_bp)
    app.register_blueprint(metrics_bp)
