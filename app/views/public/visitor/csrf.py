"""CSRF tokens for the fan pages' forms, kept in a cookie of their own rather than the session.

The first time a visitor is shown a form they get a random secret in an HttpOnly,
SameSite=Lax cookie on /s/; every form carries HMAC(SECRET_KEY, secret). A form is
accepted only with the token of the secret its own request brings: another site can
neither read the cookie nor work out the token.

Flask-WTF's tokens would live in the signed session cookie. That costs every new
visitor a session, and a visitor with a session is taken off the fast lane
(app.views.public.speed.fast_lane), which serves only visitors without one.
"""
import hashlib
import hmac
import re
import secrets

from flask import current_app, g, request

COOKIE = "presave_csrf"
SECRET = re.compile(r"[A-Za-z0-9_-]{32}")  # what secrets.token_urlsafe(24) gives


def token():
    """This visitor's form token; a new secret goes out with the response when they have none."""
    secret = g.get("fan_csrf_secret")
    if secret is None:
        secret = request.cookies.get(COOKIE, "")
        if not SECRET.fullmatch(secret):
            secret = g.fan_csrf_new = secrets.token_urlsafe(24)
        g.fan_csrf_secret = secret
    return _signed(secret)


def valid(form_token):
    """Whether the form's token is the one of the secret this request's cookie holds."""
    secret = request.cookies.get(COOKIE, "")
    return (isinstance(form_token, str) and SECRET.fullmatch(secret) is not None
            and hmac.compare_digest(form_token, _signed(secret)))


def give_secret(response):
    """After a request that made a visitor a secret: set it (an after-request hook)."""
    secret = g.pop("fan_csrf_new", None)
    if secret is not None:
        response.set_cookie(COOKIE, secret, httponly=True, samesite="Lax", path="/s/",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def _signed(secret):
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"fan-csrf:" + secret.encode(), hashlib.sha256).hexdigest()
