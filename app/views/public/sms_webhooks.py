"""What the SMS provider tells us (app.messaging.twilio): replies, and what became of a text.

- POST /webhooks/sms/inbound: a fan texted our number. STOP (or UNSUBSCRIBE, CANCEL, END,
  QUIT, STOPALL, REVOKE, OPTOUT) withdraws the text-message consents of every fan with that
  number, with the time and "SMS STOP", and puts it on each of their artists' suppression
  lists: the provider stops our texts to it too. START (YES, UNSTOP) takes that back: what
  the STOP withdrew is agreed to again (a new consent, "SMS START"), the number leaves the
  lists its STOP put it on, and the provider texts it again.
- POST /webhooks/sms/status: a text we sent was delivered, or not; one the carrier did not
  deliver becomes failed in the ledger with the provider's error code.

Both are refused (403) unless X-Twilio-Signature is the auth token's signature of this URL and
the parameters, so nobody can unsubscribe a fan or fail a message by posting here.
"""
from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy import select, update

from app.extensions import db
from app.localtime import now_utc
from app.messaging import NotConfigured, suppression
from app.messaging.twilio import START_WORDS, STOP_WORDS, account, signed
from app.models import Fan, MessageRecipient
from app.models.fan import BY_SMS_START, BY_SMS_STOP
from app.models.message import FAILED, SENT, SMS, STOPPED
from app.tenants.context import Scope, scoped

sms_bp = Blueprint("sms_webhooks", __name__, url_prefix="/webhooks/sms")
NOT_DELIVERED = {"failed", "undelivered"}
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _verified():
    """The form, when the provider signed it; else 403."""
    try:
        token = account(current_app.config).token
    except NotConfigured:
        abort(403, "SMS is not set up here")
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + request.path
    params = request.form.to_dict()
    if not signed(token, url, params, request.headers.get("X-Twilio-Signature", "")):
        abort(403, "The request is not signed by this instance's SMS provider")
    return params


@sms_bp.post("/inbound")
def inbound():
    params = _verified()
    word, number = params.get("Body", "").strip().upper(), params.get("From")
    if number and (word in STOP_WORDS or word in START_WORDS):
        with scoped(Scope.platform("sms-stop")):
            (stop if word in STOP_WORDS else start)(number)
            db.session.commit()
    return Response(EMPTY_TWIML, mimetype="text/xml")


def stop(number):
    """Every fan with this number: texts withdrawn and the number suppressed; how many."""
    fans = db.session.scalars(select(Fan).where(Fan.phone == number)).all()
    for fan in fans:
        suppression.withdraw_channel(fan, SMS, BY_SMS_STOP)
        suppression.suppress(fan, SMS, number, STOPPED)
    return len(fans)


def start(number):
    """Every fan with this number: what their STOP took back is agreed to again, and the
    number leaves the lists the STOP put it on; how many fans."""
    fans = db.session.scalars(select(Fan).where(Fan.phone == number)).all()
    for fan in fans:
        suppression.restore_channel(fan, SMS, BY_SMS_STOP, BY_SMS_START)
        suppression.lift(fan, SMS, number, STOPPED)
    return len(fans)


@sms_bp.post("/status")
def status():
    params = _verified()
    if params.get("MessageStatus") in NOT_DELIVERED and params.get("MessageSid"):
        code = params.get("ErrorCode")
        with scoped(Scope.platform("sms-status")):
            db.session.execute(
                update(MessageRecipient)
                .where(MessageRecipient.provider_id == params["MessageSid"],
                       MessageRecipient.channel == SMS, MessageRecipient.state == SENT)
                .values(state=FAILED, updated_at=now_utc(),
                        reason="the carrier did not deliver it"
                               + (f" (provider error {code})" if code else ""))
                .execution_options(synchronize_session=False))
            db.session.commit()
    return "", 204
