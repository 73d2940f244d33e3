"""Fan pages on a label's own domain: music.northwind.com/aurora-vale/tonight is
/s/aurora-vale/tonight of Northwind's artists, and of no one else's.

WSGI middleware in front of the app (and of the fast lane). A request whose host is a label's
active domain has its path moved under /s/ (but for the static files, media and short links,
which keep theirs); the admin, the API, the sandbox and the sign-in callbacks, which have no
place under /s/ on that host, are never reached. The response's redirects and cookie paths are
moved back, and the app's URLs are made without /s/ (public_url, for Flask's url_for), so the
fan only ever sees the domain's own paths. Fan cookies stay host-only on each domain.

A domain that is not (or no longer) active answers 404 to everything but its verification
token. The instance itself answers only on its own hostname (PUBLIC_BASE_URL's), localhost and
bare addresses: any other name (a domain removed, one pointed here by someone else) gets 404.
"""
import ipaddress

from flask import Flask, current_app, has_request_context, request
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from app.domains import directory
from app.domains.hostnames import instance_host
from app.models.domain import ACTIVE

ENVIRON = "presave.custom_domain"  # the request's domain (a directory.Known), when it has one
VERIFY_PREFIX = "/.well-known/presave-verify/"
FAN_PREFIX = "/s"
INSTANCE_HOST = "instance_host"  # (PUBLIC_BASE_URL, its hostname), in app.extensions
KEPT_PATHS = ("/static/", "/media/", "/r/")  # the same on every host
NEVER = ("/_auth/",)  # sign-ins come back to the instance's own host, which the platforms know


class CustomHosts:
    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app

    def __call__(self, environ, start_response):
        host = _host(environ)
        if host is None or host == self._instance_host() or _always_the_instance(host):
            return self.wsgi_app(environ, start_response)
        with self.app.app_context():
            known = directory.find(host)
        if known is None:
            return NotFound()(environ, start_response)
        path = environ.get("PATH_INFO") or "/"
        if path.startswith(VERIFY_PREFIX):
            return _verification(known, path[len(VERIFY_PREFIX):])(environ, start_response)
        if known.state != ACTIVE or path.startswith(NEVER):
            return NotFound()(environ, start_response)
        if path != "/favicon.ico" and not path.startswith(KEPT_PATHS):
            environ["PATH_INFO"] = FAN_PREFIX + path
        environ[ENVIRON] = known

        asked = environ.get("HTTP_HOST", "")

        def start_on_domain(status, headers, exc_info=None):
            return start_response(status, [_outward(name, value, asked)
                                           for name, value in headers], exc_info)
        return self.wsgi_app(environ, start_on_domain)

    def _instance_host(self):
        base = self.app.config["PUBLIC_BASE_URL"]
        known = self.app.extensions.get(INSTANCE_HOST)
        if known is None or known[0] != base:
            with self.app.app_context():
                known = self.app.extensions[INSTANCE_HOST] = (base, instance_host())
        return known[1]


def custom_domain():
    """The request's domain (a directory.Known), or None on the instance's own host."""
    return request.environ.get(ENVIRON) if has_request_context() else None


def domain_name():
    """The hostname of the request's domain, or None on the instance's own host."""
    known = custom_domain()
    return known.hostname if known is not None else None


def public_url(url):
    """A URL the app made, as the fan reaches it: without /s/ on a label's domain."""
    known = custom_domain()
    if known is None:
        return url
    for start in ("", f"{request.scheme}://{request.host}"):
        if url.startswith(start + FAN_PREFIX + "/"):
            return start + url[len(start) + len(FAN_PREFIX):]
    return url


def instance_url(endpoint, **values):
    """An address on the instance's own host (PUBLIC_BASE_URL), whichever host asked."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + Flask.url_for(
        current_app._get_current_object(), endpoint, **values)


def here():
    """The path the fan asked for (their browser's, not the app's own /s/ one)."""
    return public_url(request.script_root + request.path)


def install(app):
    app.wsgi_app = CustomHosts(app, app.wsgi_app)
    app.add_template_global(here)


def _outward(name, value, host):
    lowered = name.lower()
    if lowered == "location":
        for start in ("", f"http://{host}", f"https://{host}"):
            if value.startswith(start + FAN_PREFIX + "/"):
                return name, start + value[len(start) + len(FAN_PREFIX):]
    elif lowered == "set-cookie":
        parts = value.split(";")
        for index, part in enumerate(parts):
            key, _, path = part.strip().partition("=")
            if key.lower() == "path" and (path == FAN_PREFIX or path.startswith(FAN_PREFIX + "/")):
                parts[index] = f" Path={path[len(FAN_PREFIX):] or '/'}"
        return name, ";".join(parts)
    return name, value


def _verification(known, token):
    if token != known.token:
        return NotFound()
    return Response(known.token, mimetype="text/plain", headers={"Cache-Control": "no-store"})


def _host(environ):
    """The request's hostname, lower case, without port or trailing dot; None for none or an
    IPv6 address (never a label's domain)."""
    host = (environ.get("HTTP_HOST") or "").lower()
    if host.startswith("["):
        return None
    return host.rsplit(":", 1)[0].rstrip(".") or None


def _always_the_instance(host):
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False
