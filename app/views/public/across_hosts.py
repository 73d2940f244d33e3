"""A platform sign-in that starts on a label's own domain.

The platforms know one callback address, the instance's own, and a sign-in's state is bound
to the browser's visitor id in the instance host's session (app.presaves.oauth_state). So the
fan goes to the platform through a one-time hop on the instance host, which carries the
visitor id across, and comes back through another, which carries the outcome (the flashed
messages and the fan cookie) to the domain: each host's cookies are its own.
"""
import json
import secrets

from flask import abort, flash, g, redirect, session
from redis.exceptions import RedisError

from app.extensions import db, redis_connection
from app.languages import gettext as _
from app.models import Fan
from app.presaves.oauth_state import visitor_id
from app.views.public.blueprint import fan_bp
from app.views.public.custom_hosts import FAN_PREFIX, custom_domain, instance_url
from app.views.public.lookup import public_artist
from app.views.public.visitor.fan_cookie import remember_fan

PREFIX = "presave:hop:"
HOP_SECONDS = 120  # from the tap to the platform's page, from the callback to the domain


def out(authorize_url):
    """Where a fan on a label's domain goes to reach ``authorize_url``."""
    token = _put({"way": "out", "visitor": visitor_id(), "to": authorize_url})
    return instance_url("fan.hop_out", token=token)


@fan_bp.get("/_hop/<token>")
def hop_out(token):
    record = _take(token, "out")
    if record is None or custom_domain() is not None:
        abort(400, _("This sign-in has expired, was already used or was started in another "
                     "browser. Go back to the page and try again."))
    session["visitor"] = record["visitor"]
    return redirect(record["to"])


def back(response, host, artist):
    """The callback's answer (a redirect to the page, with what it flashed and the fan it
    remembered) taken to the fan's page on ``host``."""
    page = response.headers["Location"]
    token = _put({"way": "back", "host": host, "artist": artist.id,
                  "to": page[len(FAN_PREFIX):] if page.startswith(FAN_PREFIX + "/") else page,
                  "flashes": session.pop("_flashes", []), "fan": g.pop("remembered_fan", None)})
    return redirect(f"https://{host}/{artist.slug}/_back/{token}")


@fan_bp.get("/<artist_slug>/_back/<token>")
def hop_back(artist_slug, token):
    artist = public_artist(artist_slug)
    record = _take(token, "back")
    domain = custom_domain()
    if record is None or domain is None or record["host"] != domain.hostname \
            or record["artist"] != artist.id:
        return redirect(f"/{artist.slug}")  # a reload, a stale link: the artist's page
    for category, message in record["flashes"]:
        flash(message, category)
    response = redirect(record["to"])
    fan = db.session.get(Fan, record["fan"]) if record["fan"] else None
    if fan is not None and fan.artist_id == artist.id and fan.erased_at is None:
        remember_fan(response, artist, fan)
    return response


def _put(record):
    token = secrets.token_urlsafe(24)
    redis_connection().set(PREFIX + token, json.dumps(record), ex=HOP_SECONDS)
    return token


def _take(token, way):
    if not (isinstance(token, str) and 0 < len(token) <= 64):
        return None
    try:
        raw = redis_connection().getdel(PREFIX + token)
    except RedisError:
        return None
    record = json.loads(raw) if raw else None
    return record if record is not None and record.get("way") == way else None
