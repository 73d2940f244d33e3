"""TikTok's Events API 2.0: POST /sandbox/tiktok/open_api/v1.3/event/track/ (the trailing
slash optional) with the Access-Token header and {"event_source": "web", "event_source_id":
<pixel code>, "data": [event, ...], "test_event_code"?}.

Answers HTTP 200 to everything, as TikTok does, with {"code", "message", "request_id",
"data": {}}; code 0 when it took the events. Refuses a request whole: no token (40104), a
token other than SANDBOX_TOKEN (40105), and with 40002 and a message naming the field: an
event_source other than "web", a pixel code that is not 20 upper-case letters and digits,
other than 1 to 1,000 events, an event without its name or an integer event_time from the
last 7 days (and not over an hour ahead), a user.email or user.phone not hashed with SHA-256.

Accepted events are kept (received()), one per pixel, event and event_id for 48 hours
(deduplicated() counts the others). Faults (state.set_faults("tiktok", ...)) answer code
40100 with Retry-After, or 50000.
"""
import re
import secrets

from flask import jsonify, request

from app.integrations.conversions import MAX_EVENTS
from app.localtime import now_utc
from app.sandbox.ad_events import Events, Invalid, checked_events, hashed, is_int, out_of_range
from app.sandbox.base import blueprint_for, faults_first, json_body, retry_later

SANDBOX_TOKEN = "sandbox-tiktok-token"
PIXEL_CODE = re.compile(r"[A-Z0-9]{20}")
blueprint = blueprint_for("tiktok")
EVENTS = Events("tiktok", pixel_field="pixel_code", name_field="event")
OK, NO_TOKEN, BAD_TOKEN, INVALID = 0, 40104, 40105, 40002
MISSING = "Missing data for required field."


class Dialect:
    platform, name = "tiktok", "TikTok Events API (sandbox)"

    def error(self, code, message):
        return jsonify(code=code, message=message, request_id=_request_id(), data={})

    def rate_limited(self, retry_after):
        return retry_later(self.error(40100, "Too many requests. Please retry in some time."),
                           retry_after)

    quota_exceeded = rate_limited

    def unavailable(self):
        return self.error(50000, "System error")

    def refuse(self):
        """TikTok's answer to a missing or wrong Access-Token header, else None."""
        token = request.headers.get("Access-Token")
        if not token:
            return self.error(NO_TOKEN, "Access token is empty.")
        if token != SANDBOX_TOKEN:
            return self.error(BAD_TOKEN, "Access token is incorrect or has been revoked.")
        return None


DIALECT = Dialect()


def _request_id():
    return now_utc().strftime("%Y%m%d%H%M%S") + secrets.token_hex(12).upper()


@blueprint.post("/open_api/v1.3/event/track/", strict_slashes=False)
@faults_first(DIALECT, DIALECT.refuse)
def track():
    body = json_body() or {}
    try:
        pixel_code = _checked_source(body)
        data = checked_events(body.get("data"), _check_event, f"data: {MISSING}",
                              f"data: at most {MAX_EVENTS} events per request")
    except Invalid as problem:
        return DIALECT.error(INVALID, str(problem))
    request_id = _request_id()
    EVENTS.keep(pixel_code, data, test_event_code=body.get("test_event_code"),
                request_id=request_id)
    return jsonify(code=OK, message="OK", request_id=request_id, data={})


def _checked_source(body):
    """The pixel code of a web event source."""
    if body.get("event_source") != "web":
        raise Invalid(f"event_source: {MISSING}" if "event_source" not in body else
                      "event_source: must be web for events with a pixel code")
    pixel_code = body.get("event_source_id")
    if not isinstance(pixel_code, str) or not PIXEL_CODE.fullmatch(pixel_code):
        raise Invalid(f"event_source_id: {pixel_code!r} is not a pixel code (20 upper-case "
                      "letters and digits)")
    return pixel_code


def _check_event(index, event):
    where = f"data.{index}"
    for name in ("event", "event_time"):
        if event.get(name) in (None, ""):
            raise Invalid(f"{where}.{name}: {MISSING}")
    if not is_int(event["event_time"]):
        raise Invalid(f"{where}.event_time: Not a valid integer.")
    if out_of_range(event["event_time"]):
        raise Invalid(f"{where}.event_time: event_time {event['event_time']} is out of range: "
                      "it must be within the last 7 days")
    user = event.get("user") if isinstance(event.get("user"), dict) else {}
    for name in ("email", "phone"):
        if name in user and not hashed(user[name]):
            raise Invalid(f"{where}.user.{name}: must be hashed with SHA256")


def received(pixel_code=None):
    """The events kept, oldest first: {"pixel_code", "test_event_code", "request_id",
    "event"}."""
    return EVENTS.received(pixel_code)


def deduplicated(pixel_code):
    """How many events sent to the pixel were dropped as duplicates."""
    return EVENTS.deduplicated(pixel_code)
