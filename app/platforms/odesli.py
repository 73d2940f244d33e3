"""The external link resolver: Odesli (song.link), off unless ODESLI_API_KEY is set.

It takes a link on one platform (not an ISRC) and answers the same song's links elsewhere:
GET {ODESLI_API_URL}/links?url=<link>&key=<key> → linksByPlatform.<name>.url and
entityUniqueId "<PROVIDER>_<SONG|ALBUM|VIDEO>::<id>". With a key it allows 60 calls a
minute. ODESLI_API_URL points at the sandbox's stand-in in tests and the offline demo.
"""
import logging

import httpx
from flask import current_app

from app.platforms.errors import PlatformError, classify, error_details
from app.platforms.http import network_error
from app.platform_table import TABLE

log = logging.getLogger(__name__)

NAME = "Odesli"
# Odesli's platform names → ours (youtubeMusic; plain youtube is not a platform of ours).
PLATFORMS = {d.resolver[0]: d.key for d in TABLE if d.resolver}


def configured():
    return bool(current_app.config.get("ODESLI_API_KEY"))


def links_for(url, transport=None):
    """{our platform key: (url, item id, kind)} for the song (or album) behind ``url``, kind
    "track" or "album"; {} when Odesli does not know it. PlatformError when the call failed
    (retried by the next look-up)."""
    config = current_app.config
    root = config["ODESLI_API_URL"].rstrip("/")
    with httpx.Client(transport=transport or _transport(root), timeout=10.0) as client:
        try:
            response = client.get(f"{root}/links", params={
                "url": url, "key": config["ODESLI_API_KEY"], "userCountry": "US"})
        except httpx.TransportError as exc:
            raise network_error(NAME, exc) from None
    if response.status_code in (400, 404):  # could not resolve (or fetch) the entity
        return {}
    if not response.is_success:
        code, message = error_details(response)
        raise classify(NAME, response.status_code, code, message, response)
    try:
        found = response.json().get("linksByPlatform") or {}
    except (ValueError, AttributeError):
        raise PlatformError(f"{NAME}: unreadable answer") from None
    return {ours: (found[theirs]["url"], *_item(found[theirs]))
            for theirs, ours in PLATFORMS.items()
            if isinstance(found.get(theirs), dict) and found[theirs].get("url")}


def _item(link):
    """(id, kind) of "YOUTUBE_VIDEO::w3LJ2bDvDJs": kind "album" for an album, else "track"."""
    entity, _, item_id = (link.get("entityUniqueId") or "").partition("::")
    return item_id or None, "album" if entity.endswith("_ALBUM") else "track"


def _transport(root):
    """The sandbox's stand-in is served by this app: call it in-process (see registry)."""
    config = current_app.config
    if root.startswith(config["PUBLIC_BASE_URL"].rstrip("/") + "/sandbox/") and \
            config.get("SANDBOX_IN_PROCESS", True):
        return httpx.WSGITransport(app=current_app._get_current_object())
    return None
