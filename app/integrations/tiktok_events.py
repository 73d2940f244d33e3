"""TikTok's Events API 2.0: POST {TIKTOK_EVENTS_URL}/event/track/ with the Access-Token
header and {"event_source": "web", "event_source_id": <pixel code>, "data": [event, ...],
"test_event_code"?}.

TikTok answers HTTP 200 to almost everything: whether it took the events is the body's
"code" (0 when it did). Contact details go hashed (user.email, user.phone), the fan's IP
address and user agent as they are. Like Meta, TikTok keeps one event per event_id over 48
hours, so sending one twice is harmless.

With TIKTOK_EVENTS_URL unset and the sandbox on, this talks to the sandbox's stand-in
(app.sandbox.tiktok).
"""
from flask import current_app

from app.integrations.conversions import post_batches, refused
from app.integrations.outside import base_url, json_object

SERVICE = "TikTok"
REAL_URL = "https://business-api.tiktok.com/open_api/v1.3"
SANDBOX_PATH = "/sandbox/tiktok/open_api/v1.3"
OK = 0
# Too many requests (40100), a system error (50000, 50002): the same request may go later.
# The rest (40001 no permission, 40002 a bad parameter, 40104/40105 a missing or bad
# token...) never will as it is.
RETRYABLE = {40100, 50000, 50002}


def send(pixel_code, access_token, conversions, config=None, test_event_code=None):
    """Send the conversions to the pixel (config: the app's when None), in requests of up to
    1,000 events; the last request's answer {"code": 0, "message": "OK", "request_id",
    "data"}. Raises ConversionError."""
    config = current_app.config if config is None else config
    url = base_url(config, "TIKTOK_EVENTS_URL", SANDBOX_PATH, REAL_URL) + "/event/track/"

    def payload(batch):
        body = {"event_source": "web", "event_source_id": pixel_code, "data": batch}
        if test_event_code:
            body["test_event_code"] = test_event_code
        return body

    answers = post_batches(SERVICE, url, [_event(c) for c in conversions], payload,
                           lambda answer: _accepted(answer, access_token),
                           secret=access_token, config=config,
                           headers={"Access-Token": access_token})
    return answers[-1] if answers else {"code": OK, "message": "OK", "request_id": None,
                                        "data": {}}


def _event(conversion):
    user = {"email": conversion.email_sha256, "phone": conversion.phone_sha256,
            "ip": conversion.client_ip, "user_agent": conversion.client_user_agent}
    return {"event": conversion.event_name, "event_time": conversion.unix_time,
            "event_id": conversion.event_id,
            "user": {key: value for key, value in user.items() if value},
            "page": {"url": conversion.event_source_url}}


def _accepted(answer, token):
    body = json_object(answer)
    code = body.get("code")
    if answer.status_code == 200 and code == OK:
        return body
    retryable = code in RETRYABLE or answer.status_code >= 500 or answer.status_code == 429
    raise refused(SERVICE, answer, token, retryable=retryable, code=code,
                  said=body.get("message"))
