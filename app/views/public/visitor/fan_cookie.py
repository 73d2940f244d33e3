"""A long-lived signed cookie per artist that remembers which fan this browser is."""
from datetime import timedelta

from flask import current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.extensions import db
from app.models import Fan

MAX_AGE = timedelta(days=730)
COOKIE_PREFIX = "presave_fan_"  # then the artist's id; sent only under /s/<artist>/


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="presave-fan")


def cookie_name(artist):
    return f"{COOKIE_PREFIX}{artist.id}"


def fan_from_cookie(artist):
    """The fan this browser pre-saved as for this artist, if the cookie is genuine."""
    raw = request.cookies.get(cookie_name(artist))
    if not raw:
        return None
    try:
        data = _serializer().loads(raw, max_age=MAX_AGE.total_seconds())
    except BadSignature:
        return None
    if data.get("artist") != artist.id:
        return None
    fan = db.session.get(Fan, data.get("fan"))
    if fan is None or fan.erased_at is not None:
        return None
    g.fan_id = fan.id  # the visitor an A/B test knows across days (app.analytics.ab_assign)
    return fan


def remember_fan(response, artist, fan):
    token = _serializer().dumps({"artist": artist.id, "fan": fan.id})
    response.set_cookie(cookie_name(artist), token, max_age=int(MAX_AGE.total_seconds()),
                        httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"],
                        path=f"/s/{artist.slug}")
    return response


def forget_fan(response, artist):
    response.delete_cookie(cookie_name(artist), path=f"/s/{artist.slug}")
    return response
