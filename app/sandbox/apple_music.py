"""Apple Music: a stand-in musickit.js and the Apple Music API (no OAuth pages).

Every API call needs `Authorization: Bearer <developer token>`: an ES256 JWT
with kid and iss, exp in the future and no more than 15777000 s after iat
(401 otherwise). Its signature is verified when a key is known: the one set
through /sandbox/_admin/apple_music/developer_key, else the public half of
APPLE_SANDBOX_PRIVATE_KEY. Personal calls (/me/...) also need the
`Music-User-Token` that the stand-in MusicKit's authorize() obtains from
POST /sandbox/apple_music/musickit/authorize (403 40300 when missing,
expired or revoked; it never expires by itself).

API: POST /me/library?ids[songs]=..&ids[albums]=.. (202, ids not in the
fan's storefront's catalogue silently ignored), read back with GET /me/library/songs and
/me/library/albums (library resources whose playParams.catalogId is the
catalogue id); GET /me/storefront (the fan's: the storefront given to the stand-in's
authorize, us by default); GET /catalog/{sf}/songs?filter[isrc]= or filter[equivalents]=,
/catalog/{sf}/albums?filter[upc]=, /catalog/{sf}/songs/{id}, /albums/{id}. An item added
with a storefront exists only in that storefront's catalogue, under its own id.
Error codes other than 40300 are the sandbox's choice (status * 100).
"""
import base64
import binascii
import json
import re
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from flask import Response, current_app, jsonify, request

from app.sandbox import state
from app.sandbox.base import Dialect, SandboxAPI, json_error

PLATFORM = "apple_music"
WEB = "https://music.apple.com"
MAX_TOKEN_AGE = 15777000
LIBRARY_TYPES = {"songs": "track", "albums": "album", "playlists": None, "music-videos": None,
                 "artists": None}
CATALOG_TYPES = {"songs": ("track", "isrc"), "albums": ("album", "upc")}
STOREFRONT = re.compile(r"^[a-z]{2}$")
TITLES = {400: "Invalid Parameter Value", 401: "Unauthorized", 403: "Forbidden",
          404: "Resource Not Found", 429: "API Capacity Exceeded", 503: "Service Unavailable"}
SCRIPT = Path(__file__).with_name("musickit.js")


class Apple(Dialect):
    platform = PLATFORM
    name = "Apple Music"

    def error(self, status, message, code=None):
        body = {"errors": [{"id": secrets.token_hex(8),
                            "title": TITLES.get(status, "Error"), "detail": message,
                            "status": str(status), "code": code or f"{status}00"}]}
        return json_error(status, body)

    def unauthorized(self, problem):
        if problem == "developer":
            return self.error(401, "Invalid developer token")
        return self.error(403, "Invalid authentication", code="40300")

    def authenticate(self):
        if developer_token_problem(self.token()):
            return None, "developer"
        grant, problem = state.check_access(PLATFORM, request.headers.get("Music-User-Token"))
        return grant, ("user" if problem else None)


dialect = Apple()
api = SandboxAPI(dialect)
blueprint = api.blueprint


# --- developer tokens ----------------------------------------------------

def developer_token_problem(token):
    """None for an acceptable developer token, else what is wrong with it."""
    parts = (token or "").split(".")
    if len(parts) != 3:
        return "not a JWT"
    header, claims = _segment(parts[0]), _segment(parts[1])
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return "unreadable JWT"
    if header.get("alg") != "ES256" or not isinstance(header.get("kid"), str):
        return "alg must be ES256 with a kid"
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(claims.get("iss"), str) or not all(isinstance(v, int) for v in (iat, exp)):
        return "iss, iat and exp are required"
    if exp <= state.now() or exp - iat > MAX_TOKEN_AGE:
        return "expired, or exp more than 15777000 s after iat"
    return _signature_problem(token)


def _bytes(text):
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def _segment(text):
    raw = _bytes(text)
    try:
        return json.loads(raw) if raw is not None else None
    except ValueError:
        return None


def _signature_problem(token):
    key = verification_key()
    if not key:
        return None
    signed, _, signature = token.rpartition(".")
    raw = _bytes(signature)
    if raw is None or len(raw) != 64:  # JWS carries ES256 as r || s, 32 bytes each
        return "bad signature"
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        serialization.load_pem_public_key(key.encode()).verify(der, signed.encode(),
                                                               ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, TypeError):
        return "bad signature"
    return None


def verification_key():
    stored = state.setting(PLATFORM, "developer_key")
    if stored:
        return stored
    private = current_app.config.get("APPLE_SANDBOX_PRIVATE_KEY")
    if not private:
        return None
    loaded = serialization.load_pem_private_key(private.encode(), None)
    return loaded.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo).decode()


# --- the stand-in MusicKit JS --------------------------------------------

@blueprint.get("/musickit.js")
def musickit():
    return Response(SCRIPT.read_text(), mimetype="text/javascript")


@blueprint.post("/musickit/authorize")
def musickit_authorize():
    token = dialect.token()
    if developer_token_problem(token):
        return dialect.unauthorized("developer")
    claims = _segment(token.split(".")[1])
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    user = body.get("user") if isinstance(body.get("user"), str) else None
    storefront = body.get("storefront", "us")  # the fan's account's country (a test's choice)
    if not isinstance(storefront, str) or not STOREFRONT.match(storefront):
        return dialect.error(400, "storefront is two lower-case letters")
    user = user or dialect.new_user()
    grant = state.create_grant(PLATFORM, user, f"{claims['iss']}.{claims.get('kid', '')}",
                               [], client_auth="developer_token")
    state.set_setting(PLATFORM, f"storefront:{user}", storefront)
    return jsonify(musicUserToken=state.issue_access(PLATFORM, grant["id"], 0))


def fan_storefront(grant):
    return state.setting(PLATFORM, f"storefront:{grant['user']}") or "us"


# --- library -------------------------------------------------------------

@api.route("/me/library", methods=["POST"])
def add_to_library(grant):
    requested = {k[4:-1]: v for k, v in request.args.items() if k.startswith("ids[") and k.endswith("]")}
    if not requested or not set(requested) <= set(LIBRARY_TYPES):
        return dialect.error(400, "ids[songs], ids[albums], ids[playlists], ids[music-videos] or "
                                  "ids[artists] is required")
    for resource, raw in requested.items():
        kind = LIBRARY_TYPES[resource]
        for item_id in filter(None, (part.strip() for part in raw.split(","))):
            # An id the fan's storefront does not know is ignored as silently as an unknown one.
            if kind and state.in_storefront(state.catalog_item(PLATFORM, item_id, kind),
                                            fan_storefront(grant)):
                state.record_save(PLATFORM, grant["user"], item_id, kind, grant["client_id"])
    return "", 202


@api.route("/me/library/<resource>")
def library(grant, resource):
    if resource not in CATALOG_TYPES:
        return dialect.not_found()
    kind = CATALOG_TYPES[resource][0]
    items = [state.catalog_item(PLATFORM, i) for i in state.library(PLATFORM, grant["user"], kind)]
    return jsonify(data=[_library_resource(resource, item) for item in items if item])


@api.route("/me/storefront")
def storefront(grant):
    sf = fan_storefront(grant)
    return jsonify(data=[{"id": sf, "type": "storefronts", "href": f"/v1/storefronts/{sf}",
                          "attributes": {"name": sf.upper(), "defaultLanguageTag": "en-US"}}])


# --- catalogue -----------------------------------------------------------

@api.route("/catalog/<sf>/<resource>", auth=False)
def catalog(sf, resource):
    problem = _catalog_problem(sf, resource)
    if problem:
        return problem
    kind, field = CATALOG_TYPES[resource]
    codes = [c for c in request.args.get(f"filter[{field}]", "").split(",") if c.strip()]
    equivalents = [c for c in request.args.get("filter[equivalents]", "").split(",") if c.strip()]
    if equivalents:  # the same song (its code) as another storefront's id, in this one
        known = [state.catalog_item(PLATFORM, i, kind) for i in equivalents]
        codes = [item[field] for item in known if item and item[field]]
    elif not codes:
        return dialect.error(400, f"filter[{field}] or filter[equivalents] is required")
    items = [i for code in codes for i in state.find_catalog(PLATFORM, **{field: code})
             if i["kind"] == kind and state.in_storefront(i, sf) and i["id"] not in equivalents]
    data = [_resource(sf, resource, item) for item in items]
    if resource == "songs" and "albums" in request.args.get("include", "").split(","):
        for song, item in zip(data, items):
            song["relationships"] = {"albums": {"data": [_song_album(sf, item)]}}
    return jsonify(data=data)


def _song_album(sf, item):
    album_id = str(int(state.fingerprint(item["id"])[:8], 16))
    return {"id": album_id, "type": "albums", "href": f"/v1/catalog/{sf}/albums/{album_id}",
            "attributes": {"name": item["title"], "artistName": item["artist"],
                           "isCompilation": bool(item.get("compilation")),
                           "releaseDate": item["release_date"]}}


@api.route("/catalog/<sf>/<resource>/<item_id>", auth=False)
def catalog_item(sf, resource, item_id):
    problem = _catalog_problem(sf, resource)
    if problem:
        return problem
    item = state.catalog_item(PLATFORM, item_id, CATALOG_TYPES[resource][0])
    if not state.in_storefront(item, sf):
        return dialect.error(404, "The requested resource was not found")
    return jsonify(data=[_resource(sf, resource, item)])


def _catalog_problem(sf, resource):
    if developer_token_problem(dialect.token()):
        return dialect.unauthorized("developer")
    if not STOREFRONT.match(sf):
        return dialect.error(400, f"Invalid storefront: {sf[:10]}")
    if resource not in CATALOG_TYPES:
        return dialect.not_found()
    return None


def _resource(sf, resource, item):
    attributes = {"name": item["title"], "artistName": item["artist"], "releaseDate": item["release_date"],
                  "url": f"{WEB}/{sf}/{resource[:-1]}/{item['id']}",
                  "playParams": {"id": item["id"], "kind": resource[:-1]}}
    attributes.update({"isrc": item["isrc"], "durationInMillis": 180000} if resource == "songs"
                      else {"upc": item["upc"], "trackCount": state.track_count(item),
                            "isCompilation": bool(item.get("compilation"))})
    return {"id": item["id"], "type": resource, "href": f"/v1/catalog/{sf}/{resource}/{item['id']}",
            "attributes": attributes}


def _library_resource(resource, item):
    library_id = f"i.{item['id']}"
    return {"id": library_id, "type": f"library-{resource}", "href": f"/v1/me/library/{resource}/{library_id}",
            "attributes": {"name": item["title"], "artistName": item["artist"],
                           "playParams": {"id": library_id, "kind": resource[:-1], "isLibrary": True,
                                          "catalogId": item["id"]}}}
