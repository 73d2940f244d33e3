"""SMS through a Twilio-compatible REST API (Twilio's Messages resource, which Telnyx, Plivo and
others also answer): POST {SMS_API_URL}/2010-04-01/Accounts/{SID}/Messages.json with To, From
and Body, Basic auth with the account SID and auth token; delivery reports come back to
/webhooks/sms/status and replies (STOP) to /webhooks/sms/inbound (app.views.sms_webhooks),
both signed with the auth token (X-Twilio-Signature).

With SMS_PROVIDER unset and the sandbox on, this client talks to the sandbox's stand-in
(app.sandbox.sms) with its own account, so a development install's texts really go through an
API and can be read there. The auth token is never logged or part of a reason.
"""
import base64
import hashlib
import hmac
from dataclasses import dataclass, field

import httpx
from flask import current_app

from app.messaging import NotConfigured, Refused, Unavailable
from app.messaging.sms import SmsProvider

API_VERSION = "2010-04-01"
SANDBOX_ACCOUNT, SANDBOX_TOKEN, SANDBOX_FROM = ("ACsandbox0000000000000000000000000",
                                                "sandbox-auth-token", "+15005550006")
TIMEOUT = 10.0
DEFAULT_RETRY_AFTER = 5.0  # seconds every sender waits after a 429 that did not say
# Twilio's error codes that mean this number will never take our texts.
NEVER = {21211: "not a valid phone number", 21214: "not a reachable number",
         21408: "a region this account may not text", 21610: "the fan replied STOP",
         21612: "a number this sender cannot reach", 21614: "not a mobile number"}
STOPPED = 21610
# What a fan may text back to stop our texts (the words Twilio's own opt-out handling takes).
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
# ... and what takes the STOP back (Twilio then texts the number again).
START_WORDS = {"START", "YES", "UNSTOP"}
NOT_AUTHORISED = {20003, 20404}


class StoppedNumber(Refused):
    """The number replied STOP to our sender: it is suppressed, never texted again."""


@dataclass(frozen=True)
class Account:
    url: str
    sid: str
    sender: str
    token: str = field(repr=False)
    sandbox: bool = False

    @classmethod
    def from_config(cls, config):
        if config.get("SMS_ACCOUNT_SID"):
            return cls(config.get("SMS_API_URL") or "https://api.twilio.com",
                       config["SMS_ACCOUNT_SID"], config.get("SMS_FROM") or "",
                       config.get("SMS_AUTH_TOKEN") or "")
        if config.get("SANDBOX_ENABLED"):
            return sandbox_account(config)
        raise NotConfigured("not sent: SMS is not set up (SMS_ACCOUNT_SID)")


def sandbox_account(config):
    base = config["PUBLIC_BASE_URL"].rstrip("/")
    return Account(f"{base}/sandbox/sms", SANDBOX_ACCOUNT, SANDBOX_FROM, SANDBOX_TOKEN, True)


def account(config):
    """The account every SMS goes out on and every webhook is checked against."""
    return Account.from_config(config)


class TwilioSms(SmsProvider):
    def __init__(self, config):
        super().__init__(config)
        self.account = account(config)
        transport = None
        sandbox = config["PUBLIC_BASE_URL"].rstrip("/") + "/sandbox/"
        if self.account.url.startswith(sandbox) and config.get("SANDBOX_IN_PROCESS", True):
            # the stand-in is served by this very app (see app.platforms.registry)
            transport = httpx.WSGITransport(app=current_app._get_current_object())
        self.http = httpx.Client(transport=transport, timeout=TIMEOUT,
                                 auth=(self.account.sid, self.account.token))

    def send(self, to, text):
        a = self.account
        form = {"To": to, "From": a.sender, "Body": text}
        callback = self.config.get("PUBLIC_BASE_URL", "").rstrip("/") + "/webhooks/sms/status"
        if callback.startswith("https://") or a.sandbox:
            form["StatusCallback"] = callback
        try:
            answer = self.http.post(f"{a.url}/{API_VERSION}/Accounts/{a.sid}/Messages.json",
                                    data=form)
        except httpx.HTTPError as exc:
            raise Unavailable(f"the SMS provider did not answer: {type(exc).__name__}") from None
        if answer.status_code in (200, 201):
            return answer.json()["sid"]
        raise _refusal(answer)

    def close(self):
        self.http.close()


def _refusal(answer):
    try:
        body = answer.json()
    except ValueError:
        body = {}
    code, said = body.get("code"), body.get("message") or answer.reason_phrase
    where = f"the SMS provider answered {answer.status_code}" + (f" ({code})" if code else "")
    if answer.status_code in (401, 403) or code in NOT_AUTHORISED:
        return NotConfigured(f"not sent: {where}: check SMS_ACCOUNT_SID and SMS_AUTH_TOKEN")
    if code == STOPPED:
        return StoppedNumber(f"not sent: {where}: {NEVER[STOPPED]}")
    if code in NEVER:
        return Refused(f"not sent: {where}: {NEVER[code]}")
    if answer.status_code == 429:
        return Unavailable(f"{where}: {said}", retry_after=_seconds(
            answer.headers.get("Retry-After"), DEFAULT_RETRY_AFTER))
    if answer.status_code >= 500:
        return Unavailable(f"{where}: {said}")
    return Refused(f"not sent: {where}: {said}")


def _seconds(value, default):
    """A Retry-After in seconds (the form these APIs send), else ``default``."""
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return default


def signature(token, url, params):
    """X-Twilio-Signature of a webhook: HMAC-SHA1 under the auth token of the full URL followed
    by each POST parameter's name and value, sorted by name, base64."""
    text = url + "".join(f"{key}{value}" for key, value in sorted(params.items()))
    digest = hmac.new(token.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signed(token, url, params, given):
    return bool(given) and hmac.compare_digest(signature(token, url, params), given)
