"""Security headers for every /s/ response, CSRF for every /s/ form, and the CSP nonce."""
import secrets
from urllib.parse import urlsplit

from flask import current_app, g, request
from flask_wtf.csrf import CSRFError

from app.languages import gettext as _
from app.views.public.visitor import csrf as fan_csrf
from app.views.public.blueprint import fan_bp
from app.views.public.unsubscribe import one_click

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
REDIRECTS = {301, 302, 303, 307, 308}


def csp_nonce():
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def allow_musickit(url, sandbox):
    """Let this response load MusicKit JS: Apple's origin (and its API) join the policy.

    The sandbox's stand-in is this app's own, served under PUBLIC_BASE_URL, which
    may differ from the host the page was asked on (a proxy, a test server).
    """
    parts = urlsplit(url or "")
    origin = f"{parts.scheme}://{parts.netloc}"
    if parts.scheme not in ("http", "https") or origin == f"{request.scheme}://{request.host}":
        return
    g.setdefault("csp_script_origins", set()).add(origin)
    g.csp_apple = not sandbox


def allow_pixels(scripts, beacons):
    """Let this response load the ad pixels a visitor accepted: their script hosts, and the
    hosts they report to (app.views.public.ads)."""
    g.setdefault("csp_script_origins", set()).update(scripts)
    g.setdefault("csp_beacons", set()).update(beacons)


def content_security_policy(frame_ancestors="'none'"):
    origins = sorted(g.get("csp_script_origins", ()))
    beacons = sorted(g.get("csp_beacons", ()))
    nonce = f"'nonce-{csp_nonce()}'"
    # MusicKit talks to Apple's API and opens Apple's sign-in; accepted pixels report to their
    # own hosts; nothing else leaves the origin.
    apple = ["https://*.apple.com"] if g.get("csp_apple") else []
    return "; ".join([
        "default-src 'self'", " ".join(["script-src 'self'", nonce, *origins]),
        f"style-src 'self' {nonce}", " ".join(["img-src 'self' data:", *beacons]),
        "font-src 'self'", " ".join(["connect-src 'self'", *apple, *beacons]),
        " ".join(["frame-src", *(apple or ["'none'"])]),
        "object-src 'none'", "base-uri 'none'", f"frame-ancestors {frame_ancestors}"])


@fan_bp.context_processor
def _template_helpers():
    return {"csp_nonce": csp_nonce, "csrf_token": fan_csrf.token}


@fan_bp.before_request
def _check_csrf():
    """Every form under /s/ carries the visitor's token (the admin's FlaskForms check their own)."""
    if request.endpoint == "fan.unsubscribe" and one_click():
        return  # the mail client posts without a cookie: the signed link is the credential
    if request.method in UNSAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True) \
            and not fan_csrf.valid(request.form.get("csrf_token")):
        raise CSRFError(_("The form has expired; reload the page and try again"))


fan_bp.after_request(fan_csrf.give_secret)


@fan_bp.after_request
def _security_headers(response):
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy()
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if response.mimetype == "text/html" or response.status_code in REDIRECTS:
        # Nonce and CSRF token differ per visitor, and a page or a /go/ redirect changes at the
        # release instant (and, in local mode, at each visitor's midnight): nobody keeps one.
        headers["Cache-Control"] = "private, no-store"
        headers.pop("Expires", None)
    return response
