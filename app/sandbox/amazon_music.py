"""Amazon Music: Login with Amazon (refresh tokens rotate; the used one is then revoked)
and the closed-beta Music Web API v1.

Assumptions of the sandbox, as the real paths are unverified: the
add-to-library call is `PUT /me/library/tracks?ids=<id>[,<id>...]` (≤50 ids,
200 with the saved ids), read back with `GET /me/library/tracks`; the user is
`GET /me`; look-ups are `GET /tracks?isrc=` and `GET /albums?upc=`. Responses
are wrapped in `data` (as v1 documents); errors look like the API Gateway's
`{"message": ...}`. Every call needs `x-api-key` (403 without it). Any
well-formed id is accepted into the library.
"""
from flask import jsonify, request

from app.sandbox import oauth, state
from app.sandbox.base import SandboxAPI, json_error

PLATFORM = "amazon_music"
WEB = "https://music.amazon.com"
MAX_IDS = 50


class Amazon(oauth.OAuthDialect):
    platform = PLATFORM
    name = "Amazon"
    rotates = True
    token_type = "bearer"
    token_prefixes = ("Atza|", "Atzr|")

    def error(self, status, message, **extra):
        return json_error(status, {"message": message, **extra})

    def unauthorized(self, problem):
        return self.error(403 if problem == "no_api_key" else 401,
                          "Forbidden" if problem == "no_api_key" else "Unauthorized")

    def authenticate(self):
        if not request.headers.get("x-api-key"):
            return None, "no_api_key"
        return super().authenticate()


dialect = Amazon()
api = SandboxAPI(dialect)
blueprint = api.blueprint
oauth.register(api)


@api.route("/me")
def me(grant):
    return jsonify(data={"id": grant["user"], "displayName": "Sandbox fan", "marketplace": "US"})


@api.route("/me/library/tracks", methods=["GET", "PUT"])
def library_tracks(grant):
    if request.method == "GET":
        return jsonify(data={"tracks": [{"id": i} for i in state.library(PLATFORM, grant["user"])]})
    track_ids = [i.strip() for i in request.args.get("ids", "").split(",") if i.strip()]
    if not track_ids or len(track_ids) > MAX_IDS or not all(i.isalnum() for i in track_ids):
        return dialect.error(400, f"ids must hold 1 to {MAX_IDS} track ids")
    for track_id in track_ids:
        state.record_save(PLATFORM, grant["user"], track_id, "track", grant["client_id"])
    return jsonify(data={"tracks": [{"id": i} for i in track_ids]})


@api.route("/tracks")
def tracks(grant):
    return _lookup("isrc", "track")


@api.route("/albums")
def albums(grant):
    return _lookup("upc", "album")


def _lookup(field, kind):
    code = request.args.get(field, "").strip()
    if not code:
        return dialect.error(400, f"{field} is required")
    found = [i for i in state.find_catalog(PLATFORM, **{field: code}) if i["kind"] == kind]
    items = [{"id": i["id"], "title": i["title"], "isrc": i["isrc"], "upc": i["upc"],
              "artistName": i["artist"], "url": f"{WEB}/{kind}s/{i['id']}"} for i in found]
    return jsonify(data={kind + "s": items})
