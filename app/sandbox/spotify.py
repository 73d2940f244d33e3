"""Spotify: accounts service (authorize, api/token) and the Web API (/me, /me/library, /search).

PKCE grants rotate their refresh token (the old one then answers "Refresh
token revoked"); every refresh token dies six months after the fan's original
grant. Saves accept any well-formed URI: the sandbox knows no "not found" for
Spotify's library.

An app put in development mode (/sandbox/_admin/spotify/allow_list) answers every call of
an account not on its allow-list with 403 "User not approved for app", as Spotify does.

The client-credentials grant gives the app a token of its own: /search takes
it, /me and the library answer 401 (the spec's Unauthorized: "Bad or expired
token ... re-authenticate the user"; seen in the wild for client-credentials
tokens at /me, spotify/web-api#806, with the message of spotipy-dev/spotipy#657).
"""
import hashlib
import re
from datetime import date

from flask import jsonify, request

from app.platform_table import BASE62
from app.sandbox import oauth, state
from app.sandbox.base import SandboxAPI, json_error

PLATFORM = "spotify"
WEB = "https://open.spotify.com"
API = "https://api.spotify.com/v1"
URI = re.compile(r"^spotify:(track|album|episode|show|audiobook|user|playlist|artist):([0-9A-Za-z]{22})$")
SAVE_TYPES = {"track", "album", "episode", "show", "audiobook", "user", "playlist", "artist"}
MAX_URIS = 40
SEARCH_TYPES = {"album", "artist", "playlist", "track", "show", "episode", "audiobook"}
SIX_MONTHS = 183 * 86400


class Spotify(oauth.OAuthDialect):
    platform = PLATFORM
    name = "Spotify"
    refresh_lifetime = SIX_MONTHS
    app_tokens = True

    def rotates_for(self, grant):
        return grant["pkce"]

    def error(self, status, message, **extra):
        return json_error(status, {"error": {"status": status, "message": message, **extra}})

    def user_token_required(self):
        return self.error(401, "Permissions missing")

    def authenticate(self):
        grant, problem = super().authenticate()
        if problem is None and grant["user"] is not None and not approved(grant):
            return grant, "not_approved"
        return grant, problem

    def unauthorized(self, problem):
        if problem == "not_approved":  # seen in the wild (spotipy-dev/spotipy#688)
            return self.error(403, "User not approved for app")
        return super().unauthorized(problem)

    def quota_exceeded(self, retry_after):
        response = self.error(429, "Too many requests", reason="QUOTA_EXCEEDED")
        response.headers["Retry-After"] = str(retry_after)
        return response


def approved(grant):
    """Development mode: an app with an allow-list serves only the accounts on it."""
    allowed = state.setting(PLATFORM, f"allow_list:{grant['client_id']}")
    return allowed is None or grant["user"] in allowed


dialect = Spotify()
api = SandboxAPI(dialect)
blueprint = api.blueprint
oauth.register(api)


@api.route("/me")
def me(grant):
    account = grant["user"]
    user_id = account.lower()
    return jsonify(id=user_id, account_id=account, display_name=f"Sandbox fan {account[:4]}",
                   type="user", uri=f"spotify:user:{user_id}", href=f"{API}/users/{user_id}",
                   external_urls={"spotify": f"{WEB}/user/{user_id}"}, images=[])


@api.route("/me/library", methods=["PUT", "DELETE"])
def library(grant):
    uris, problem = _uris(SAVE_TYPES)
    if problem:
        return problem
    for kind, item_id in uris:
        if request.method == "PUT":
            state.record_save(PLATFORM, grant["user"], item_id, kind, grant["client_id"])
        else:
            state.remove_save(PLATFORM, grant["user"], item_id, kind)
    return "", 200


@api.route("/me/library/contains")
def contains(grant):
    uris, problem = _uris(SAVE_TYPES)
    if problem:
        return problem
    return jsonify([state.in_library(PLATFORM, grant["user"], i, k) for k, i in uris])


def _uris(allowed):
    """[(type, id)] from ?uris=, or a 400 answer."""
    raw = request.args.get("uris", "")
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not parts:
        return None, dialect.error(400, "Missing required parameter: uris")
    if len(parts) > MAX_URIS:
        return None, dialect.error(400, f"Too many URIs: at most {MAX_URIS}")
    found = [URI.match(part) for part in parts]
    bad = next((p for p, m in zip(parts, found) if not m or m.group(1) not in allowed), None)
    if bad:
        return None, dialect.error(400, f"Invalid URI: {bad[:100]}")
    return [(m.group(1), m.group(2)) for m in found], None


@api.route("/search", app_token=True)
def search(grant):
    query, types, limit, offset, problem = _search_args()
    if problem:
        return problem
    field, _, value = query.partition(":") if re.match(r"^(isrc|upc):\S+$", query) else ("", "", "")
    answer = {}
    for kind in types:
        hits = _hits(kind, field, value)
        answer[kind + "s"] = _paging(kind, hits, limit, offset)
    return jsonify(answer)


def _search_args():
    args = request.args
    query, types = args.get("q", "").strip(), [t for t in args.get("type", "").split(",") if t]
    if not query:
        return None, None, None, None, dialect.error(400, "No search query")
    if not types or not set(types) <= SEARCH_TYPES:
        return None, None, None, None, dialect.error(400, "Bad search type field")
    limit, offset = _int(args.get("limit"), 5), _int(args.get("offset"), 0)
    if limit is None or not 1 <= limit <= 10:
        return None, None, None, None, dialect.error(400, "Invalid limit")
    if offset is None or not 0 <= offset <= 1000:
        return None, None, None, None, dialect.error(400, "Invalid offset")
    return query, types, limit, offset, None


def _int(raw, default):
    if raw is None or raw == "":
        return default
    return int(raw) if re.fullmatch(r"-?\d{1,6}", raw) else None


def _hits(kind, field, value):
    # isrc: filters tracks only, upc: albums only, as Spotify documents.
    if (kind, field) == ("track", "isrc"):
        return [i for i in state.find_catalog(PLATFORM, isrc=value) if i["kind"] == "track"]
    if (kind, field) == ("album", "upc"):
        return [i for i in state.find_catalog(PLATFORM, upc=value) if i["kind"] == "album"]
    return []


def _paging(kind, hits, limit, offset):
    page = hits[offset:offset + limit]
    make = _track if kind == "track" else _album
    return {"href": request.url, "items": [make(item) for item in page], "limit": limit,
            "next": None, "offset": offset, "previous": None, "total": len(hits)}


def _derived_id(seed):
    digest = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    return "".join(BASE62[(digest >> (6 * n)) % 62] for n in range(22))


def _object(kind, item_id, name):
    return {"id": item_id, "name": name, "type": kind, "uri": f"spotify:{kind}:{item_id}",
            "href": f"{API}/{kind}s/{item_id}", "external_urls": {"spotify": f"{WEB}/{kind}/{item_id}"}}


def _artist(item):
    return _object("artist", _derived_id("artist:" + item["artist"]), item["artist"])


def _album(item, album_id=None, name=None):
    released = item.get("release_date") or date.today().isoformat()
    album = _object("album", album_id or item["id"], name or item["title"])
    tracks = state.track_count(item) if item["kind"] == "album" else 1
    kind = "compilation" if item.get("compilation") else "album" if tracks > 1 else "single"
    album.update(album_type=kind, total_tracks=tracks, available_markets=[], images=[],
                 release_date=released, release_date_precision="day", artists=[_artist(item)])
    if item.get("upc"):
        album["external_ids"] = {"upc": item["upc"]}
    return album


def _track(item):
    track = _object("track", item["id"], item["title"])
    track.update(album=_album(item, _derived_id("album:" + item["id"]), item["title"]),
                 artists=[_artist(item)], disc_number=1, track_number=1, duration_ms=180000,
                 explicit=False, is_local=False, is_playable=True, popularity=0,
                 external_ids={"isrc": item["isrc"]} if item.get("isrc") else {})
    return track
