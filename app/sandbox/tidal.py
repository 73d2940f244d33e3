"""TIDAL: login/auth (OAuth 2.1, PKCE required, refresh tokens do not rotate) and openapi v2.

API: GET /users/me, GET /tracks?filter[isrc]=, GET /albums?filter[barcodeId]=,
POST /userCollectionTracks/me/relationships/items and its userCollectionArtists twin
(following; any artist id of TIDAL's shape exists) (JSON:API, 1–50 items,
Idempotency-Key replayed for an hour, meta.skipped for NOT_FOUND and
ALREADY_PRESENT; only tracks in the sandbox catalogue exist).

The catalogue reads also take the app's client-credentials token (the spec
lists Client_Credentials for them); /users and the collections answer it with
a JSON:API 403 FORBIDDEN (the spec declares no 401/403 there; TIDAL answers a
token lacking a user scope with 403, tidal-music/tidal-sdk-android#261).
"""
import uuid
from datetime import datetime, timezone

from flask import request

from app.sandbox import oauth, state
from app.sandbox.base import SandboxAPI, json_error

PLATFORM = "tidal"
JSONAPI = "application/vnd.api+json"
MAX_ITEMS = 50
# a collection's type -> the library's kind
KINDS = {"tracks": "track", "albums": "album", "artists": "artist"}
FILTERS = {"tracks": ("isrc", "id"), "albums": ("barcodeId", "id")}
CODES = {400: "INVALID_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
         409: "CONFLICT", 415: "UNSUPPORTED_MEDIA_TYPE", 422: "UNPROCESSABLE_ENTITY",
         429: "TOO_MANY_REQUESTS", 503: "SERVICE_UNAVAILABLE"}


class Tidal(oauth.OAuthDialect):
    platform = PLATFORM
    name = "TIDAL"
    pkce = "required"
    app_tokens = True

    def error(self, status, message, code=None, **extra):
        body = {"errors": [{"id": str(uuid.uuid4()), "status": str(status),
                            "code": code or CODES.get(status, "ERROR"), "detail": message, **extra}]}
        return json_error(status, body, JSONAPI)

    def token_body(self, grant, access, refresh, lifetime):
        return {**super().token_body(grant, access, refresh, lifetime), "user_id": _number(grant["user"])}


dialect = Tidal()
api = SandboxAPI(dialect)
blueprint = api.blueprint
oauth.register(api)


def _number(value):
    return int(value) if value.isdecimal() else value


def document(body, status=200):
    return json_error(status, body, JSONAPI)


@api.route("/users/<user_id>")
def users(grant, user_id):
    if user_id not in ("me", grant["user"]):
        return dialect.error(404, "User not found")
    attributes = {"username": f"sandbox-{grant['user']}", "country": "US",
                  "developerAccessTier": "THIRD_PARTY"}
    return document({"data": {"id": grant["user"], "type": "users", "attributes": attributes},
                     "links": {"self": f"/users/{user_id}"}})


@api.route("/tracks", app_token=True)
def tracks(grant):
    return _lookup("tracks")


@api.route("/albums", app_token=True)
def albums(grant):
    return _lookup("albums")


def _lookup(kind):
    """Filtered catalogue reads; one code may give several items, several codes one each."""
    filters, problem = _filters(kind)
    if problem:
        return problem
    (name, values), = filters.items()
    found = [_items(kind, name, value) for value in values]
    items = found[0] if len(found) == 1 else [hits[0] for hits in found if hits]
    body = {"data": [_resource(kind, item) for item in items], "links": {"self": request.full_path}}
    if "artists" in request.args.get("include", "").split(","):
        body["included"] = [_artist(item) for item in items]
    return document(body)


def _artist_id(item):
    return str(int(state.fingerprint(item["artist"])[:8], 16))


def _artist(item):
    return {"id": _artist_id(item), "type": "artists", "attributes": {"name": item["artist"]}}


def _filters(kind):
    given = {k[7:-1]: v for k, v in request.args.lists() if k.startswith("filter[") and k.endswith("]")}
    unknown = set(given) - set(FILTERS[kind])
    if unknown or len(given) != 1:
        detail = f"unknown filter {sorted(unknown)[0]}" if unknown else "exactly one filter is required"
        return None, dialect.error(400, detail, source={"parameter": "filter"})
    name, raw = next(iter(given.items()))
    values = [v.strip() for value in raw for v in value.split(",") if v.strip()]
    if not values or len(values) > 20:
        return None, dialect.error(400, "between 1 and 20 filter values are allowed")
    return {name: values}, None


def _items(kind, name, value):
    item_kind = kind[:-1]
    if name == "id":
        item = state.catalog_item(PLATFORM, value, item_kind)
        return [item] if item else []
    found = state.find_catalog(PLATFORM, **({"isrc": value} if name == "isrc" else {"upc": value}))
    return [item for item in found if item["kind"] == item_kind]


def _resource(kind, item):
    attributes = {"title": item["title"], "explicit": False, "popularity": 0.0, "mediaTags": [],
                  "duration": "PT3M"}
    if kind == "tracks":
        attributes.update(isrc=item["isrc"] or "", key="UNKNOWN", keyScale="UNKNOWN",
                          createdAt=item.get("release_date"))
    else:
        attributes.update(barcodeId=item["upc"] or "", albumType="SINGLE",
                          numberOfItems=state.track_count(item),
                          numberOfVolumes=1, releaseDate=item.get("release_date"))
    artists = {"data": [{"id": _artist_id(item), "type": "artists"}]}
    return {"id": item["id"], "type": kind, "attributes": attributes,
            "relationships": {"artists": artists}}


@api.route("/userCollectionTracks/<user_id>/relationships/items", methods=["POST"])
def add_tracks(grant, user_id):
    return _add(grant, user_id, "tracks")


@api.route("/userCollectionAlbums/<user_id>/relationships/items", methods=["POST"])
def add_albums(grant, user_id):
    return _add(grant, user_id, "albums")


@api.route("/userCollectionArtists/<user_id>/relationships/items", methods=["POST"])
def add_artists(grant, user_id):
    """Following: any artist id of TIDAL's shape exists (the sandbox keeps no artists)."""
    return _add(grant, user_id, "artists")


def _add(grant, user_id, kind):
    if user_id not in ("me", grant["user"]):
        return dialect.error(403, "Not allowed to modify another user's collection", code="FORBIDDEN")
    if request.mimetype != JSONAPI:
        return dialect.error(415, "Unsupported request media type or encoding")
    payload, problem = _payload(kind)
    if problem:
        return problem
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return _save(grant, payload, kind)
    if not 0 < len(key) <= 128:
        return dialect.error(400, "Idempotency-Key must be 1 to 128 characters")
    return _idempotent(grant, key, payload, kind)


def _payload(kind):
    body = request.get_json(silent=True, force=True)
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or not 1 <= len(data) <= MAX_ITEMS:
        return None, dialect.error(400, f"data must hold 1 to {MAX_ITEMS} items", source={"pointer": "/data"})
    for n, entry in enumerate(data):
        if not isinstance(entry, dict) or entry.get("type") != kind or \
                not isinstance(entry.get("id"), str) or not entry["id"]:
            return None, dialect.error(400, f"each item needs type {kind} and an id",
                                       source={"pointer": f"/data/{n}"})
    ids = [entry["id"] for entry in data]
    if len(set(ids)) != len(ids):
        return None, dialect.error(409, "The same item is listed twice", code="DUPLICATE_ITEMS_IN_COLLECTION")
    return ids, None


def _idempotent(grant, key, payload, kind):
    print_ = state.fingerprint([kind, *payload])
    earlier = state.claim_idempotency(PLATFORM, grant["user"], key, print_)
    if earlier is None:
        try:
            response = _save(grant, payload, kind)
        except Exception:
            state.release_idempotency(PLATFORM, grant["user"], key)
            raise
        state.store_idempotency(PLATFORM, grant["user"], key, print_, response.status_code,
                                response.get_json())
        return response
    if earlier["fingerprint"] != print_:
        return dialect.error(422, "Idempotency key reused with a different payload",
                             code="IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH")
    if earlier["pending"]:
        return dialect.error(409, "Request already in progress for this idempotency key",
                             code="IDEMPOTENT_REQUEST_IN_PROGRESS")
    return document(earlier["body"], earlier["status"])


def _save(grant, ids, kind):
    added, skipped = [], []
    added_at = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    one = KINDS[kind]
    for item_id in ids:
        reason = _skip_reason(grant["user"], item_id, one)
        if reason:
            skipped.append({"id": item_id, "type": kind, "reason": reason})
            continue
        state.record_save(PLATFORM, grant["user"], item_id, one, grant["client_id"])
        added.append({"id": item_id, "type": kind, "meta": {"addedAt": added_at}})
    resource = f"userCollection{kind.title()}"
    return document({"data": added, "meta": {"skipped": skipped},
                     "links": {"self": f"/{resource}/me/relationships/items"}})


def _skip_reason(user, item_id, one):
    exists = (item_id.isdecimal() and len(item_id) <= 12 if one == "artist"
              else state.catalog_item(PLATFORM, item_id, one))
    if not exists:
        return "NOT_FOUND"
    if state.in_library(PLATFORM, user, item_id, one):
        return "ALREADY_PRESENT"
    return None
