"""Odesli (song.link): GET /sandbox/odesli/v1-alpha.1/links?url=<link>[&key=][&userCountry=].

Like the real API it takes a link on one platform, never a code: the link's item is
found in that platform's sandbox catalogue, and every platform whose catalogue holds an
item with the same ISRC (or UPC) is answered in linksByPlatform, under Odesli's names.
Unknown links answer 404 could_not_resolve_entity; no url, 400. Calls are counted
(calls()), so tests can see whether the resolver was used at all.
"""
from flask import Blueprint, jsonify, request

from app.extensions import redis_connection
from app.platform_table import DESCRIPTORS, LINK_PLATFORMS, TABLE
from app.platforms.web_links import platform_of, track_id
from app.sandbox import state

blueprint = Blueprint("sandbox_odesli", __name__, url_prefix="/sandbox/odesli")
CALLS_KEY = state.PREFIX + "odesli:calls"
RESOLVED = [d.key for d in TABLE if d.resolver]  # the platforms Odesli answers links for


def calls():
    return int(redis_connection().get(CALLS_KEY) or 0)


def _error(status, code):
    response = jsonify(statusCode=status, code=code)
    response.status_code = status
    return response


@blueprint.get("/v1-alpha.1/links")
def links():
    redis_connection().incr(CALLS_KEY)
    url = request.args.get("url", "").strip()
    if not url:
        return _error(400, "could_not_fetch_entity_data")
    item = _item(url)
    if item is None:
        return _error(404, "could_not_resolve_entity")
    code = {"isrc": item["isrc"]} if item["isrc"] else {"upc": item["upc"]}
    found = {}
    for platform in RESOLVED:
        same = [i for i in state.find_catalog(platform, **code) if i["kind"] == item["kind"]]
        if same:
            found[platform] = same[0]
    page = f"https://song.link/{request.args.get('userCountry', 'us').lower()}/sandbox/{item['id']}"
    return jsonify(entityUniqueId=_unique_id(*next(iter(found.items()))),
                   userCountry=request.args.get("userCountry", "US"), pageUrl=page,
                   entitiesByUniqueId={_unique_id(p, i): _entity(p, i) for p, i in found.items()},
                   linksByPlatform={DESCRIPTORS[p].resolver[0]: {
                                        "url": _url(p, i), "entityUniqueId": _unique_id(p, i)}
                                    for p, i in found.items()})


def _item(url):
    """The sandbox catalogue item a link names, if any."""
    platform = platform_of(url)
    if platform not in LINK_PLATFORMS:
        return None
    item_id = track_id(platform, url) or url.rstrip("/").rsplit("/", 1)[-1].removeprefix("TR:")
    item = state.catalog_item(platform, item_id)
    return item if item and (item["isrc"] or item["upc"]) else None


def _kind(platform, item):
    if platform == "youtube_music":
        return "VIDEO"
    return "ALBUM" if item["kind"] == "album" else "SONG"


def _unique_id(platform, item):
    return f"{DESCRIPTORS[platform].resolver[1]}_{_kind(platform, item)}::{item['id']}"


def _url(platform, item):
    return DESCRIPTORS[platform].item_url.format(kind=item["kind"], id=item["id"],
                                 apple="album" if item["kind"] == "album" else "song")


def _entity(platform, item):
    return {"id": item["id"], "type": "album" if item["kind"] == "album" else "song",
            "title": item["title"], "artistName": item["artist"], "apiProvider": platform,
            "platforms": [DESCRIPTORS[platform].resolver[0]]}
