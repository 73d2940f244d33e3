"""Application factory."""
import logging

from flask import Flask
from flask_appbuilder import AppBuilder

from app import errors, languages
from app.extensions import compress, db, limiter, migrate
from app.tenants.roles import FAB_ROLES, ROLE_ADMIN
from app.views.public.custom_hosts import public_url
from app.views.public.speed.sessions import CookieSessions
from config import BASE_DIR


class PresaveFlask(Flask):
    def url_for(self, endpoint, /, **values):
        """On a label's own domain, fan page URLs lose their /s/ (app.views.public.custom_hosts)."""
        return public_url(super().url_for(endpoint, **values))


def create_app(config_object="config.Config", **overrides):
    app = PresaveFlask(__name__, instance_path=None, static_folder="static",
                       template_folder="templates")
    app.config.from_object(config_object)
    app.config.update(overrides)
    # The roles are code, not settings: config.py imports nothing of app/.
    app.config.setdefault("AUTH_ROLE_ADMIN", ROLE_ADMIN)
    app.config.setdefault("FAB_ROLES", FAB_ROLES)
    app.instance_path = str(app.config["INSTANCE_DIR"])
    app.session_interface = CookieSessions()
    _embedded_services(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    _init_limiter(app)
    from app.views import assets

    for key, value in assets.COMPRESS_SETTINGS.items():
        app.config.setdefault(key, value)
    compress.init_app(app)  # first after_request registered, so the last to run: on the final body

    from app.audit import logins, trail
    from app.domains import directory
    from app.jobs import lifecycle
    from app.views.public.speed import page_version
    from app.tenants import scoping
    from app.tenants.security import resolve_request_scope

    scoping.install()
    trail.install()  # every process: whoever commits a change commits its entry
    logins.listen()
    page_version.install()  # every process: a worker's commit moves the fan page version too
    directory.install()  # a domain changed by this process serves (or stops) at once
    lifecycle.listen()
    from app.views.home import HomeView

    appbuilder = AppBuilder(indexview=HomeView)  # one per app (a module-global one loses its views)
    with app.app_context():
        appbuilder.init_app(app, db.session)
        from app.api import register_apis
        from app.views import register_views

        register_views(appbuilder)
        register_apis(appbuilder)
    from app.views.public.blueprint import fan_bp

    languages.install(app, fan_bp.url_prefix + "/")  # beside FAB's Babel: fans in their language
    assets.install(app)
    app.before_request(resolve_request_scope)  # after FAB's own before_request sets g.user
    app.before_request(errors.refuse_unreadable_input)

    from app.cli import commands as cli
    from app.sandbox import register_sandbox
    from app.views.public import register_public

    errors.register(app)
    register_public(app)
    register_sandbox(app)
    cli.register(app)
    _middleware(app)
    if not app.debug and not app.testing:
        logging.basicConfig(level=app.config["LOG_LEVEL"].upper())
    return app


def _middleware(app):
    from app.views.public import custom_hosts, fan_page_timing
    from app.views.public.fan_pages import kept_page
    from app.views.public.speed.fast_lane import FastLane

    app.wsgi_app = FastLane(app, app.wsgi_app, render=kept_page)
    fan_page_timing.install(app)  # the fast lane's pages too, at the path the routes see
    custom_hosts.install(app)  # in front of the fast lane: the host decides first
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The client address is the Nth from the right of X-Forwarded-For, as set by our proxies
        # (and the scheme the visitor used, X-Forwarded-Proto: the app's own absolute URLs).
        trusted = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted)


def _embedded_services(app):
    if not app.config.get("REDIS_URL") and not app.config.get("REDIS_SENTINELS"):
        from app.embedded.redis_server import embedded_redis_url

        app.config["REDIS_URL"] = embedded_redis_url(app.config["INSTANCE_DIR"])


def _init_limiter(app):
    if app.config.get("REDIS_SENTINELS"):
        from app.redis_ha import limiter_storage

        uri, options = limiter_storage(app.config)
        app.config.setdefault("RATELIMIT_STORAGE_URI", uri)
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", options)
        # While Sentinel promotes a replica the limits go unchecked rather than answer 500s.
        app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    url = app.config["REDIS_URL"] or ""
    if url.startswith("unix://"):
        url = "redis+unix://" + url[len("unix://"):]
    app.config.setdefault("RATELIMIT_STORAGE_URI", url)
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "presave-limits")
    limiter.init_app(app)
