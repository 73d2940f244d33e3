"""The signed tokens of the links in messages (unsubscribe, tracked links): a value signed with
SECRET_KEY under a salt of its own per kind of link, so one kind cannot stand for another."""
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.domains.urls import fan_url, instance_fan_url
from app.validation import MAX_ID


def _signer(salt):
    return _serializer(current_app.config["SECRET_KEY"], salt)


@lru_cache(maxsize=64)  # one per key and kind of link, not one per email of a blast
def _serializer(secret, salt):
    return URLSafeSerializer(secret, salt=salt)


def fan_link(artist, part, salt, value, on_instance=False):
    """``<the artist's fan page>/<part>/<token of value>``: on the label's domain, or on the
    instance's own host (``on_instance``), whatever becomes of the domain (app.domains.urls)."""
    return (instance_fan_url if on_instance else fan_url)(
        artist, f"/{part}/{_signer(salt).dumps(value)}")


def value_of(salt, token):
    """What the token was signed with, or None (forged, mangled, another kind's)."""
    try:
        return _signer(salt).loads(token)
    except BadSignature:
        return None


def row_id(value):
    """``value`` when it can be a row's id, else None (a bool, a string, out of range)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID:
        return value
    return None
