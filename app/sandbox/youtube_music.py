"""YouTube Music through Google OAuth and the YouTube Data API v3.

A refresh token comes only with access_type=offline and never rotates. API:
GET channels?mine=true&part=id, POST videos/rate?id=&rating=like|dislike|none
(204; 404 videoNotFound for a video not in the sandbox catalogue), GET
videos/getRating?id=. Each rating counts against a daily quota of writes
(`daily_writes`, default 200 = 10,000 units / 50) that resets at midnight
Pacific time; past it, 403 quotaExceeded. GET search?part=snippet&q=&type=video
takes an API key (`key=`, any non-empty value) instead of a token and finds
catalogue items whose title and artist words are all in q; each hit comes from the
artist's "<Artist> - Topic" channel. Errors use Google's format. POST /revoke
(token=, beside /token) ends a grant by either of its tokens, as Google's does.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import jsonify, request

from app.sandbox import oauth, state
from app.sandbox.base import SandboxAPI, json_error

PLATFORM = "youtube_music"
PACIFIC = ZoneInfo("America/Los_Angeles")
RATINGS = {"like", "dislike", "none"}
STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE"}
REASONS = {400: "badRequest", 401: "authError", 403: "forbidden", 404: "notFound",
           429: "rateLimitExceeded", 503: "backendError"}


class YouTube(oauth.OAuthDialect):
    platform = PLATFORM
    name = "Google"

    def wants_refresh(self, request_args):
        return request_args.get("access_type") == "offline"

    def error(self, status, message, reason=None, domain="global", **extra):
        detail = {"message": message, "domain": domain, "reason": reason or REASONS.get(status, "error"),
                  **extra}
        return json_error(status, {"error": {"code": status, "message": message, "errors": [detail],
                                             "status": STATUS_NAMES.get(status, "UNKNOWN")}})

    def unauthorized(self, problem):
        return self.error(401, "Request had invalid authentication credentials. Expected OAuth 2 "
                               "access token, login cookie or other valid authentication credential.",
                          location="Authorization", locationType="header")

    def quota_exceeded(self, retry_after):
        return self.error(403, "The request cannot be completed because you have exceeded your "
                               "<a href=\"/youtube/v3/getting-started#quota\">quota</a>.",
                          reason="quotaExceeded", domain="youtube.quota")


dialect = YouTube()
api = SandboxAPI(dialect)
blueprint = api.blueprint
oauth.register(api)


def revoke():
    """Google's revocation endpoint: either token ends the whole grant; 200 with {}, or 400
    invalid_token for a token that is unknown or already ended."""
    token = request.form.get("token") or request.args.get("token") or ""
    if not (token and state.revoke_grant_of(PLATFORM, token)):
        return json_error(400, {"error": "invalid_token",
                                "error_description": "Token expired or revoked"})
    return jsonify({})


blueprint.add_url_rule("/revoke", "revoke", revoke, methods=["POST"])


@api.route("/channels")
def channels(grant):
    if not request.args.get("part"):
        return dialect.error(400, "Required parameter: part", reason="required",
                             location="part", locationType="parameter")
    mine = request.args.get("mine") == "true"
    items = [{"kind": "youtube#channel", "etag": "sandbox", "id": grant["user"]}] if mine else []
    return jsonify(kind="youtube#channelListResponse", etag="sandbox", items=items,
                   pageInfo={"totalResults": len(items), "resultsPerPage": 5})


@api.route("/search", auth=False)
def search():
    if not request.args.get("key") and not dialect.token():
        return dialect.error(403, "Method doesn't allow unregistered callers (callers without "
                                  "established identity). Please use API Key or other form of "
                                  "API consumer identity to call this API.", reason="forbidden")
    if not request.args.get("part"):
        return dialect.error(400, "Required parameter: part", reason="required",
                             location="part", locationType="parameter")
    limit = request.args.get("maxResults", "5")
    if not limit.isdecimal() or not 0 <= int(limit) <= 50:
        return dialect.error(400, "Invalid value for maxResults", reason="invalidParameter")
    hits = state.search_catalog(PLATFORM, request.args.get("q", ""))[:int(limit)]
    items = [{"kind": "youtube#searchResult", "etag": "sandbox",
              "id": {"kind": "youtube#video", "videoId": item["id"]},
              "snippet": {"title": item["title"], "channelTitle": f"{item['artist']} - Topic",
                          "channelId": "UC" + state.fingerprint(item["artist"])[:22],
                          "publishedAt": f"{item['release_date'] or '2026-01-01'}T00:00:00Z",
                          "description": ""}} for item in hits]
    return jsonify(kind="youtube#searchListResponse", etag="sandbox", items=items,
                   pageInfo={"totalResults": len(items), "resultsPerPage": int(limit)})


@api.route("/videos/rate", methods=["POST"])
def rate(grant):
    video_id, rating = request.args.get("id", "").strip(), request.args.get("rating", "")
    if not video_id:
        return dialect.error(400, "Required parameter: id", reason="required")
    if rating not in RATINGS:
        return dialect.error(400, "The request contained an unexpected value for the rating "
                                  "parameter.", reason="invalidRating", domain="youtube.video")
    day = datetime.now(PACIFIC).date().isoformat()
    if state.count_write(PLATFORM, day) > state.faults(PLATFORM)["daily_writes"]:
        return dialect.quota_exceeded(0)
    if not state.catalog_item(PLATFORM, video_id):
        return dialect.error(404, "The video that you are trying to rate cannot be found.",
                             reason="videoNotFound", domain="youtube.video")
    if rating == "like":
        state.record_save(PLATFORM, grant["user"], video_id, "track", grant["client_id"])
    else:
        state.remove_save(PLATFORM, grant["user"], video_id)
    return "", 204


@api.route("/videos/getRating")
def get_rating(grant):
    video_ids = [v for v in request.args.get("id", "").split(",") if v]
    if not video_ids:
        return dialect.error(400, "Required parameter: id", reason="required")
    items = [{"videoId": v, "rating": "like" if state.in_library(PLATFORM, grant["user"], v) else "none"}
             for v in video_ids]
    return jsonify(kind="youtube#videoGetRatingResponse", etag="sandbox", items=items)
