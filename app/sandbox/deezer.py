"""Deezer: connect.deezer.com's auth.php and access_token.php, and api.deezer.com.

Non-standard OAuth: app_id/secret/perms (comma-separated), no PKCE, no refresh;
the token endpoint answers GET with `access_token=...&expires=N` (JSON with
output=json) and plain-text errors; with offline_access the token never
expires (expires=0). The API takes the token as ?access_token= and reports
errors inside HTTP 200 as {"error": {"type", "message", "code"}}. Only items in
the sandbox catalogue exist (code 800 otherwise).
"""
from urllib.parse import urlencode

from flask import Response, jsonify, request

from app.sandbox import oauth, state
from app.sandbox.base import SandboxAPI

PLATFORM = "deezer"
WEB = "https://www.deezer.com"
TYPES = {4: "Exception", 200: "OAuthException", 300: "OAuthException", 500: "ParameterException",
         501: "MissingParameterException", 700: "Exception", 800: "DataException"}
STATUS_CODES = {401: 300, 403: 200, 404: 800, 429: 4, 503: 700}


class Deezer(oauth.OAuthDialect):
    platform = PLATFORM
    name = "Deezer"
    client_param = "app_id"
    scope_param = "perms"
    scope_separator = ","
    response_type_required = False
    pkce = None
    denied = {"error_reason": "user_denied"}

    def wants_refresh(self, request_args):
        return False

    def lifetime_for(self, scopes):
        return 0 if "offline_access" in scopes else self.access_lifetime

    def error(self, status, message, code=None):
        code = code or STATUS_CODES.get(status, 500)
        return jsonify(error={"type": TYPES.get(code, "Exception"), "message": message, "code": code})

    def unauthorized(self, problem):
        if problem == "missing":
            return self.error(403, "An active access token must be used to query information "
                                   "about the current user")
        return self.error(401, "Invalid OAuth access token.")

    def rate_limited(self, retry_after):
        return self.error(429, "Quota limit exceeded")

    def unavailable(self):
        return self.error(503, "The service is busy")

    def not_found(self):
        response = jsonify(error="Not Found")
        response.status_code = 404
        return response

    def token(self):
        return request.values.get("access_token")

    def token_body(self, grant, access, refresh, lifetime):
        return {"access_token": access, "expires": lifetime}

    def token_response(self, body):
        if request.values.get("output") == "json":
            return jsonify(body)
        return Response(urlencode(body), mimetype="text/html")

    def token_error(self, error, description, status=400):
        return Response("wrong code", mimetype="text/html")


dialect = Deezer()
api = SandboxAPI(dialect)
blueprint = api.blueprint
api.blueprint.add_url_rule("/authorize", "authorize", lambda: oauth.authorize(dialect),
                           methods=["GET", "POST"])


@blueprint.route("/token", methods=["GET", "POST"])
def token():
    args = request.values
    if not args.get("app_id") or not args.get("secret") or \
            oauth.wrong_secret(dialect, args["app_id"], args["secret"]):
        return Response("wrong app_id or secret", mimetype="text/html")
    return oauth.exchange_code(dialect, args.get("code"), args["app_id"], args["secret"], None, None)


@api.route("/user/me")
def me(grant):
    return jsonify(id=_number(grant["user"]), name=f"sandbox{grant['user']}", type="user",
                   link=f"{WEB}/profile/{grant['user']}", country="US")


@api.route("/user/me/tracks", methods=["GET", "POST"])
def user_tracks(grant):
    return _library(grant, "track", _track)


@api.route("/user/me/albums", methods=["GET", "POST"])
def user_albums(grant):
    return _library(grant, "album", _album)


def _library(grant, kind, shown):
    """The fan's saved tracks or albums (GET), or one more saved (POST ?track_id= or
    ?album_id=: one id a call)."""
    if request.method == "GET":
        saved = state.library(PLATFORM, grant["user"], kind)
        items = [shown(state.catalog_item(PLATFORM, i) or {"id": i, "title": ""}) for i in saved]
        return jsonify(data=items, total=len(items))
    if "manage_library" not in grant["scopes"]:
        return dialect.error(403, "Permission denied")
    item_id = request.values.get(f"{kind}_id", "").strip()
    if not item_id:
        return dialect.error(400, f"Missing parameters: {kind}_id", code=501)
    if not state.catalog_item(PLATFORM, item_id, kind):
        return dialect.error(404, "no data")
    state.record_save(PLATFORM, grant["user"], item_id, kind, grant["client_id"])
    return jsonify(True)


@api.route("/user/me/artists", methods=["POST"])
def user_artists(grant):
    """Following: any artist id of Deezer's shape exists (the sandbox keeps no artists)."""
    if "manage_library" not in grant["scopes"]:
        return dialect.error(403, "Permission denied")
    artist_id = request.values.get("artist_id", "").strip()
    if not artist_id:
        return dialect.error(400, "Missing parameters: artist_id", code=501)
    if not (artist_id.isdecimal() and len(artist_id) <= 12):
        return dialect.error(404, "no data")
    state.record_save(PLATFORM, grant["user"], artist_id, "artist", grant["client_id"])
    return jsonify(True)


@api.route("/track/<ref>", auth=False)
def track(ref):
    item = _find(ref, "isrc:", "track")
    return jsonify(_track(item)) if item else dialect.error(404, "no data")


@api.route("/album/<ref>", auth=False)
def album(ref):
    item = _find(ref, "upc:", "album")
    return jsonify(_album(item)) if item else dialect.error(404, "no data")


def _find(ref, prefix, kind):
    if ref.startswith(prefix):
        code = ref[len(prefix):]
        found = state.find_catalog(PLATFORM, **{prefix[:-1]: code})
        matching = [item for item in found if item["kind"] == kind]
        return matching[0] if matching else None
    return state.catalog_item(PLATFORM, ref, kind)


def _artist(item):
    return {"id": 27, "name": item.get("artist", ""), "type": "artist"}


def _track(item):
    return {"id": _number(item["id"]), "readable": True, "title": item.get("title", ""),
            "isrc": item.get("isrc"), "link": f"{WEB}/track/{item['id']}", "duration": 180,
            "release_date": item.get("release_date"), "artist": _artist(item), "type": "track"}


def _album(item):
    tracks = [_track(track) for track in state.album_tracks(PLATFORM, item)]
    return {"id": _number(item["id"]), "title": item["title"], "upc": item.get("upc"),
            "link": f"{WEB}/album/{item['id']}", "release_date": item.get("release_date"),
            "nb_tracks": state.track_count(item), "artist": _artist(item), "type": "album",
            "tracks": {"data": tracks}}


def _number(item_id):
    return int(item_id) if str(item_id).isdecimal() else item_id
