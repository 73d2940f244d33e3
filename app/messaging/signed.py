"""The signed tokens of the links in messages (unsubscribe, tracked links): a value signed with
SECRET_KEY under a salt of its own per kind of link, so one kind cannot stand for another."""
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer


def _signer(salt):
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def fan_link(artist_slug, part, salt, value):
    """``PUBLIC_BASE_URL/s/<artist>/<part>/<token of value>``."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/s/{artist_slug}/{part}/{_signer(salt).dumps(value)}"


def value_of(salt, token):
    """What the token was signed with, or None (forged, mangled, another kind's)."""
    try:
        return _signer(salt).loads(token)
    except BadSignature:
        return None
