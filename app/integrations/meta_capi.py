"""Meta's Conversions API: POST {META_GRAPH_URL}/{pixel_id}/events with
{"data": [event, ...], "access_token": ..., "test_event_code"?}.

The token goes in the JSON body, not the query string Meta's examples use, so no URL that
reaches a log carries it. Contact details go hashed (em, ph, country); the fan's IP address
and user agent go as they are, as Meta requires. Meta drops an event whose event_name and
event_id it received in the last 48 hours, so sending one twice is harmless.

With META_GRAPH_URL unset and the sandbox on, this talks to the sandbox's stand-in
(app.sandbox.meta).
"""
from urllib.parse import quote

from flask import current_app

from app.integrations.conversions import post_batches, refused
from app.integrations.outside import base_url, json_object

SERVICE = "Meta"
REAL_URL = "https://graph.facebook.com/v21.0"
SANDBOX_PATH = "/sandbox/meta/v21.0"
# Graph error codes for a limit or a hiccup: the same request may succeed later.
TRANSIENT = {1, 2, 4, 17, 32, 341, 613}
# A bad token (190) or parameter (100), or permissions (200-299): it never will as it is.
PERMANENT = {100, 190, *range(200, 300)}


def send(pixel_id, access_token, conversions, config=None, test_event_code=None):
    """Send the conversions to the pixel (config: the app's when None); Meta's answer, summed
    over the requests of up to 1,000 events each: {"events_received", "messages",
    "fbtrace_id"} (the last request's). Raises ConversionError."""
    config = current_app.config if config is None else config
    base = base_url(config, "META_GRAPH_URL", SANDBOX_PATH, REAL_URL)
    url = f"{base}/{quote(str(pixel_id), safe='')}/events"

    def payload(batch):
        body = {"data": batch, "access_token": access_token}
        if test_event_code:
            body["test_event_code"] = test_event_code
        return body

    answers = post_batches(SERVICE, url, [_event(c) for c in conversions], payload,
                           lambda answer: _accepted(answer, access_token),
                           secret=access_token, config=config)
    return {"events_received": sum(a.get("events_received", 0) for a in answers),
            "messages": [m for a in answers for m in a.get("messages") or []],
            "fbtrace_id": answers[-1].get("fbtrace_id") if answers else None}


def _event(conversion):
    user = {"em": _listed(conversion.email_sha256), "ph": _listed(conversion.phone_sha256),
            "country": _listed(conversion.country_sha256),
            "client_ip_address": conversion.client_ip,
            "client_user_agent": conversion.client_user_agent}
    return {"event_name": conversion.event_name, "event_time": conversion.unix_time,
            "event_id": conversion.event_id, "action_source": "website",
            "event_source_url": conversion.event_source_url,
            "user_data": {key: value for key, value in user.items() if value}}


def _listed(value):
    """Meta takes a list for each hashed field (a fan may have several addresses)."""
    return [value] if value else None


def _accepted(answer, token):
    body = json_object(answer)
    if answer.status_code == 200 and "events_received" in body:
        return body
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    raise refused(SERVICE, answer, token, retryable=_retryable(answer.status_code, error),
                  code=error.get("code"),
                  said=error.get("error_user_msg") or error.get("message"))


def _retryable(status, error):
    code = error.get("code")
    if code in PERMANENT:
        return False
    return status >= 500 or status == 429 or error.get("is_transient") is True or \
        code in TRANSIENT
