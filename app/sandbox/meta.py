"""Meta's Conversions API: POST /sandbox/meta/v21.0/<pixel_id>/events with
{"data": [event, ...], "access_token", "test_event_code"?}.

Checks a request as Meta does and refuses it whole, in Graph's error shape (HTTP 400,
{"error": {"message", "type", "code", "error_subcode"?, "is_transient", "error_user_title"?,
"error_user_msg"?, "fbtrace_id"}}): the access token (code 190; only SANDBOX_TOKEN is
valid), a pixel id of digits (100), 1 to 1,000 events, each with event_name, action_source
and an integer event_time from the last 7 days (subcode 2804003 when older) and not over an
hour ahead; a "website" event also needs event_source_url and user_data.client_user_agent;
user_data at least one customer parameter, em, ph, country... hashed with SHA-256 (subcode
2804019). Success: {"events_received", "messages": [], "fbtrace_id"}.

Accepted events are kept (received()), one per pixel, event_name and event_id for 48 hours;
the others still count as received, as at Meta (deduplicated()). Faults
(state.set_faults("meta", ...)) answer as Meta throttles: HTTP 400 with code 4 and
is_transient, plus Retry-After; or 503 with code 2.
"""
import secrets

from flask import jsonify, request

from app.integrations.conversions import MAX_EVENTS
from app.sandbox.ad_events import Events, Invalid, checked_events, hashed, is_int, out_of_range
from app.sandbox.base import blueprint_for, faults_first, json_body, json_error, retry_later

API_VERSION = "v21.0"
SANDBOX_TOKEN = "sandbox-meta-token"
blueprint = blueprint_for("meta")
EVENTS = Events("meta", pixel_field="pixel_id", name_field="event_name")
HASHED = ("em", "ph", "fn", "ln", "db", "ge", "ct", "st", "zp", "country")
# What lets Meta match an event to a person: any one of these, or IP address and user agent.
CUSTOMER = (*HASHED, "external_id", "fbc", "fbp", "subscription_id", "fb_login_id", "lead_id")
TOO_OLD, NOT_HASHED, NO_OBJECT = 2804003, 2804019, 33


class Dialect:
    platform, name = "meta", "Meta Conversions API (sandbox)"

    def error(self, status, message, code=100, subcode=None, transient=False, title=None,
              user_msg=None):
        error = {"message": message, "type": "OAuthException", "code": code,
                 "error_subcode": subcode, "is_transient": transient,
                 "error_user_title": title, "error_user_msg": user_msg,
                 "fbtrace_id": _trace_id()}
        return json_error(status, {"error": {k: v for k, v in error.items() if v is not None}})

    def rate_limited(self, retry_after):
        # Meta throttles with a 400 and a transient code, never a 429.
        return retry_later(self.error(400, "(#4) Application request limit reached", 4,
                                      transient=True), retry_after)

    quota_exceeded = rate_limited

    def unavailable(self):
        return self.error(503, "An unexpected error has occurred. Please retry your request "
                               "later.", 2, transient=True)

    def refuse(self):
        """Graph's answer to a missing or wrong access token (in the body, or the query as in
        Meta's examples), else None."""
        token = (json_body() or {}).get("access_token") or request.args.get("access_token")
        if not token:
            return self.error(400, "Invalid OAuth access token - Cannot parse access token",
                              190)
        if token != SANDBOX_TOKEN:
            return self.error(400, f"Malformed access token {token}", 190)  # Meta echoes it
        return None


DIALECT = Dialect()


def _trace_id():
    return "A" + secrets.token_urlsafe(15)


@blueprint.post(f"/{API_VERSION}/<pixel_id>/events")
@faults_first(DIALECT, DIALECT.refuse)
def events(pixel_id):
    body = json_body() or {}
    try:
        _check_pixel(pixel_id)
        data = checked_events(body.get("data"), _check_event,
                              "(#100) The parameter data is required",
                              f"(#100) param data must have at most {MAX_EVENTS} elements")
    except Invalid as problem:
        return DIALECT.error(400, str(problem), **problem.fields)
    trace = _trace_id()
    EVENTS.keep(pixel_id, data, test_event_code=body.get("test_event_code"), fbtrace_id=trace)
    return jsonify(events_received=len(data), messages=[], fbtrace_id=trace)


def _check_pixel(pixel_id):
    if not pixel_id.isdecimal():
        raise Invalid(f"Unsupported post request. Object with ID '{pixel_id}' does not exist, "
                      "cannot be loaded due to missing permissions, or does not support this "
                      "operation.", subcode=NO_OBJECT)


def _check_event(index, event):
    where = f"data[{index}]"
    for name in ("event_name", "event_time", "action_source"):
        if event.get(name) in (None, ""):
            raise Invalid(f"(#100) Param {where}[{name}] is required")
    if not is_int(event["event_time"]):
        raise Invalid(f"(#100) Param {where}[event_time] must be an integer")
    _check_time(where, event["event_time"])
    user = event.get("user_data") if isinstance(event.get("user_data"), dict) else {}
    if event["action_source"] == "website":
        required = {f"{where}[event_source_url]": event.get("event_source_url"),
                    f"{where}[user_data][client_user_agent]": user.get("client_user_agent")}
        for param, value in required.items():
            if not value:
                raise Invalid(f"(#100) Param {param} is required for events whose "
                              "action_source is website")
    _check_user(where, user)


def _check_time(where, event_time):
    problem = out_of_range(event_time)
    if problem == "past":
        raise Invalid(f"Invalid parameter: {where}[event_time] is too far in the past",
                      subcode=TOO_OLD, title="Event Timestamp Too Old",
                      user_msg="The timestamp for this event is too far in the past. Events "
                               "need to be sent from your server within 7 days of when they "
                               "occurred.")
    if problem == "future":
        raise Invalid(f"Invalid parameter: {where}[event_time] is more than an hour in the "
                      "future")


def _check_user(where, user):
    if not (any(user.get(name) for name in CUSTOMER) or
            (user.get("client_ip_address") and user.get("client_user_agent"))):
        raise Invalid(f"(#100) Param {where}[user_data] must contain at least one customer "
                      "information parameter")
    for name in HASHED:
        if name in user and not hashed(user[name]):
            raise Invalid(f"(#100) Param {where}[user_data][{name}] must be hashed with "
                          "SHA256", subcode=NOT_HASHED)


def received(pixel_id=None):
    """The events kept, oldest first: {"pixel_id", "test_event_code", "fbtrace_id", "event"}."""
    return EVENTS.received(pixel_id)


def deduplicated(pixel_id):
    """How many events sent to the pixel were dropped as duplicates (but counted received)."""
    return EVENTS.deduplicated(pixel_id)
