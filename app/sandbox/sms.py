"""A Twilio-compatible SMS API: POST /sandbox/sms/2010-04-01/Accounts/<sid>/Messages.json.

Answers as Twilio does: Basic auth with the account SID and auth token (401, code 20003,
otherwise), 201 with the message resource (sid "SM…", status "queued", num_segments), 400 with
Twilio's codes for a missing body (21602) or sender (21603), a number that is not E.164
(21211), a body over 1,600 characters (21617) and a number that replied STOP (21610); faults
(/sandbox/_admin/sms/faults) answer 429 (20429) or 503 like the others. What it was asked to
send is kept (sent()); GET on the same path lists it, newest first.

Like Twilio, it calls back: deliver(sid, status) posts the message's status to the
StatusCallback it was given, and reply(number, text) posts an inbound message to this
instance's /webhooks/sms/inbound; both are signed with the auth token (X-Twilio-Signature)
and can be asked for through POST /sandbox/sms/_deliver {sid, status, error_code} and
/sandbox/sms/_reply {from, body}. A
STOP reply puts the number on the stopped list first, as Twilio's own opt-out handling does,
and START (YES, UNSTOP) takes it off.
"""
import json
import secrets

import httpx
import phonenumbers
from flask import Blueprint, current_app, jsonify, request

from app.extensions import redis_connection
from app.messaging.templates import sms_size
from app.messaging.twilio import (API_VERSION, SANDBOX_ACCOUNT, SANDBOX_TOKEN, START_WORDS,
                                  STOP_WORDS, signature)
from app.sandbox import faults, state

blueprint = Blueprint("sandbox_sms", __name__, url_prefix="/sandbox/sms")
KEY = state.PREFIX + "sms:"
MAX_BODY = 1600


class Dialect:
    platform, name = "sms", "Twilio (sandbox)"

    def error(self, status, message, code=None):
        body = {"code": code or status * 100, "message": message, "status": status,
                "more_info": f"https://www.twilio.com/docs/errors/{code or status * 100}"}
        response = jsonify(body)
        response.status_code = status
        return response

    def rate_limited(self, retry_after):
        response = self.error(429, "Too Many Requests", 20429)
        response.headers["Retry-After"] = str(retry_after)
        return response

    quota_exceeded = rate_limited

    def unavailable(self):
        return self.error(503, "Service Unavailable", 20503)


DIALECT = Dialect()


@blueprint.route(f"/{API_VERSION}/Accounts/<sid>/Messages.json", methods=["GET", "POST"])
def messages(sid):
    answer = faults.injected(DIALECT)
    if answer is not None:
        return answer
    auth = request.authorization
    if auth is None or (auth.username, auth.password) != (SANDBOX_ACCOUNT, SANDBOX_TOKEN):
        return DIALECT.error(401, "Authenticate", 20003)
    if sid != SANDBOX_ACCOUNT:
        return DIALECT.error(404, f"The requested resource /{API_VERSION}/Accounts/{sid}/"
                                  "Messages.json was not found", 20404)
    if request.method == "GET":
        return jsonify(messages=sent())
    return _create(request.form)


def _create(form):
    to, sender, body = (form.get(name, "").strip() for name in ("To", "From", "Body"))
    if not body:
        return DIALECT.error(400, "Message body is required.", 21602)
    if not sender:
        return DIALECT.error(400, "A 'From' phone number is required.", 21603)
    if not _e164(to):
        return DIALECT.error(400, f"The 'To' number {to} is not a valid phone number.", 21211)
    if len(body) > MAX_BODY:
        return DIALECT.error(400, "The concatenated message body exceeds the 1600 character "
                                  "limit.", 21617)
    if redis_connection().sismember(KEY + "stopped", to):
        return DIALECT.error(400, "Attempt to send to unsubscribed recipient", 21610)
    message = {"sid": "SM" + secrets.token_hex(16), "account_sid": SANDBOX_ACCOUNT, "to": to,
               "from": sender, "body": body, "status": "queued",
               "num_segments": str(_segments(body)), "date_created": state.now(),
               "status_callback": form.get("StatusCallback") or None}
    redis_connection().lpush(KEY + "messages", json.dumps(message))
    response = jsonify({k: v for k, v in message.items() if k != "status_callback"})
    response.status_code = 201
    return response


def _e164(number):
    try:
        return number.startswith("+") and phonenumbers.is_possible_number(
            phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return False


def _segments(body):
    return sms_size(body).segments


def sent(to=None):
    """What the sandbox was asked to send, newest first (to one number, when given)."""
    found = [json.loads(raw) for raw in redis_connection().lrange(KEY + "messages", 0, -1)]
    return [m for m in found if to is None or m["to"] == to]


def stopped(number):
    return bool(redis_connection().sismember(KEY + "stopped", number))


def deliver(sid, status="delivered", error_code=None):
    """Post the message's status to its StatusCallback, signed; the HTTP status answered."""
    message = next((m for m in sent() if m["sid"] == sid), None)
    if message is None or not message["status_callback"]:
        return None
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": SANDBOX_ACCOUNT,
              "To": message["to"], "From": message["from"]}
    if error_code:
        params["ErrorCode"] = str(error_code)
    return _post(message["status_callback"], params)


def reply(number, text, to=None):
    """The fan at ``number`` texts ``text`` back: posted to this instance's inbound webhook,
    signed; a STOP word stops the number first, a START word lets it be texted again. The
    HTTP status answered."""
    word = text.strip().upper()
    if word in STOP_WORDS:
        redis_connection().sadd(KEY + "stopped", number)
    elif word in START_WORDS:
        redis_connection().srem(KEY + "stopped", number)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    params = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": SANDBOX_ACCOUNT,
              "From": number, "To": to or "+15005550006", "Body": text}
    return _post(f"{base}/webhooks/sms/inbound", params)


def _post(url, params):
    headers = {"X-Twilio-Signature": signature(SANDBOX_TOKEN, url, params)}
    transport = None
    if current_app.config.get("SANDBOX_IN_PROCESS", True):
        transport = httpx.WSGITransport(app=current_app._get_current_object())
    with httpx.Client(transport=transport, timeout=10) as client:
        return client.post(url, data=params, headers=headers).status_code


@blueprint.post("/_deliver")
def deliver_view():
    body = request.get_json(silent=True) or {}
    return jsonify(status=deliver(str(body.get("sid", "")), str(body.get("status", "delivered")),
                                  body.get("error_code")))


@blueprint.post("/_reply")
def reply_view():
    body = request.get_json(silent=True) or {}
    if not body.get("from") or not body.get("body"):
        return DIALECT.error(400, "from and body are required")
    return jsonify(status=reply(str(body["from"]), str(body["body"])))
