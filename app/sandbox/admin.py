"""JSON controls for tests, the demo and benchmarks, under /sandbox/_admin/ (never in production).

    POST   /sandbox/_admin/reset                                  forget everything
    GET    /sandbox/_admin/<platform>/faults                      current fault settings
    POST   /sandbox/_admin/<platform>/faults                      {"latency_ms", "rate_429", "retry_after",
                                                                   "rate_5xx", "quota_exceeded", "daily_writes",
                                                                   "limit_rps", "limit_window_s",
                                                                   "burst_every_s", "burst_for_s"}
    DELETE /sandbox/_admin/<platform>/faults                      back to no faults
    GET    /sandbox/_admin/<platform>/injected                    {fault: answers it gave} since the reset
    POST   /sandbox/_admin/<platform>/tokens/expire               {"access_token"|"refresh_token"|"user"}
    POST   /sandbox/_admin/<platform>/tokens/revoke               {"access_token"|"refresh_token"|"user"}
    POST   /sandbox/_admin/<platform>/grants/backdate             {"seconds", + one selector as above}
    GET    /sandbox/_admin/<platform>/grants[?user=]              grants with client id and how it authenticated
    POST   /sandbox/_admin/<platform>/catalog                     {"isrc"|"upc", "id", "title", "artist",
                                                                   "release_date", "kind", "available_at",
                                                                   "storefront" (Apple: only there),
                                                                   "tracks" (an album's track ids)}
    GET    /sandbox/_admin/<platform>/catalog?isrc=|upc=          items for a code
    GET    /sandbox/_admin/<platform>/saves[?user=]               every save the platform accepted
    POST   /sandbox/_admin/apple_music/developer_key              {"public_key": PEM}: verify ES256 signatures
    POST   /sandbox/_admin/spotify/allow_list                     {"client_id", "users": [...] | null}:
                                                                   development mode (null: off)
"""
from flask import Blueprint, jsonify, request

from app.platform_table import PLATFORM_KEYS
from app.sandbox import state

blueprint = Blueprint("sandbox_admin", __name__, url_prefix="/sandbox/_admin")
SELECTORS = ("access_token", "refresh_token", "user")
CATALOG_FIELDS = ("isrc", "upc", "id", "title", "artist", "release_date", "kind", "available_at",
                  "storefront")


def _error(status, message):
    return jsonify(error=message), status


def _body():
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None


# what faults may be injected into: the platforms, SMS, the ad and email marketing services
FAULTED = (*PLATFORM_KEYS, "sms", "meta", "tiktok", "mailchimp", "klaviyo")


@blueprint.url_value_preprocessor
def _known_platform(endpoint, values):
    if values and values.get("platform") not in (None, *FAULTED):
        values["platform"] = None


def _platform_or_404(view):
    def wrapped(platform, **kwargs):
        if platform is None:
            return _error(404, f"unknown platform; known: {', '.join(FAULTED)}")
        return view(platform, **kwargs)
    wrapped.__name__ = view.__name__
    return wrapped


@blueprint.post("/reset")
def reset():
    return jsonify(reset=True, keys=state.reset())


@blueprint.route("/<platform>/faults", methods=["GET", "POST", "DELETE"])
@_platform_or_404
def faults(platform):
    if request.method == "DELETE":
        state.clear_faults(platform)
    elif request.method == "POST":
        body = _body()
        if body is None:
            return _error(400, "send a JSON object")
        try:
            state.set_faults(platform, **body)
        except ValueError as exc:
            return _error(400, str(exc))
    return jsonify(state.faults(platform))


@blueprint.get("/<platform>/injected")
@_platform_or_404
def injected(platform):
    return jsonify(state.injected(platform))


def _selector():
    """(selector kwargs, error) with exactly the known selector fields that were sent."""
    body = _body()
    if body is None:
        return None, _error(400, "send a JSON object")
    chosen = {k: body[k] for k in SELECTORS if isinstance(body.get(k), str) and body[k]}
    if not chosen:
        return None, _error(400, f"name one of {', '.join(SELECTORS)}")
    return chosen, None


@blueprint.post("/<platform>/tokens/<action>")
@_platform_or_404
def tokens(platform, action):
    operation = {"expire": state.expire_tokens, "revoke": state.revoke_tokens}.get(action)
    if operation is None:
        return _error(404, "tokens/expire or tokens/revoke")
    chosen, problem = _selector()
    if problem:
        return problem
    return jsonify({action + "d": operation(platform, **chosen)})


@blueprint.post("/<platform>/grants/backdate")
@_platform_or_404
def backdate(platform):
    chosen, problem = _selector()
    if problem:
        return problem
    seconds = _body().get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        return _error(400, "seconds must be a number of seconds, 0 or more")
    return jsonify(grants=state.backdate_grants(platform, seconds, **chosen))


@blueprint.get("/<platform>/grants")
@_platform_or_404
def grants(platform):
    return jsonify(grants=state.grants(platform, request.args.get("user")))


@blueprint.route("/<platform>/catalog", methods=["GET", "POST"])
@_platform_or_404
def catalog(platform):
    if request.method == "GET":
        return jsonify(items=state.find_catalog(platform, request.args.get("isrc"),
                                                request.args.get("upc")))
    body = _body()
    if body is None:
        return _error(400, "send a JSON object")
    fields = {k: body[k] for k in CATALOG_FIELDS if body.get(k) not in (None, "")}
    if any(not isinstance(v, str) for v in fields.values()):
        return _error(400, f"{', '.join(CATALOG_FIELDS)} are strings")
    tracks = body.get("tracks")
    if tracks is not None:
        if not (isinstance(tracks, list) and len(tracks) <= 100 and all(
                isinstance(t, str) and state.catalog_item(platform, t, "track") for t in tracks)):
            return _error(400, "tracks lists at most 100 ids of tracks in the catalogue")
        fields["tracks"] = tracks
    if fields.get("kind") not in (None, "track", "album"):
        return _error(400, "kind is track or album")
    try:
        return jsonify(state.add_catalog_item(platform, **fields)), 201
    except ValueError as exc:
        return _error(400, str(exc))


@blueprint.get("/<platform>/saves")
@_platform_or_404
def saves(platform):
    return jsonify(saves=state.saves(platform, request.args.get("user")))


@blueprint.post("/apple_music/developer_key")
def developer_key():
    body = _body() or {}
    key = body.get("public_key")
    if not isinstance(key, str) or "BEGIN PUBLIC KEY" not in key:
        return _error(400, "public_key must be a PEM public key")
    state.set_setting("apple_music", "developer_key", key)
    return jsonify(verifying=True)


@blueprint.post("/spotify/allow_list")
def allow_list():
    """A Spotify app in development mode: only these accounts may use it (null: no limit)."""
    body = _body() or {}
    client_id, users = body.get("client_id"), body.get("users")
    if not isinstance(client_id, str) or not client_id:
        return _error(400, "client_id is required")
    if users is not None and (not isinstance(users, list)
                              or not all(isinstance(u, str) for u in users)):
        return _error(400, "users is a list of sandbox accounts, or null")
    state.set_setting("spotify", f"allow_list:{client_id}", users)
    return jsonify(client_id=client_id, users=users)
