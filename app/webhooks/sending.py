"""One attempt at a delivery: the signed POST to the checked address, and what came back.

Signed with the `standardwebhooks` package (the convention's reference implementation):
``webhook-signature`` is "v1," + base64(HMAC-SHA256(secret, "<id>.<timestamp>.<body>")).
No redirects are followed (a redirect could lead anywhere); a 2xx is success, anything else,
or no answer within the timeout, a failure.
"""
import base64
import secrets
import time
from dataclasses import dataclass

import httpx
from standardwebhooks import Webhook

from app.localtime import now_utc
from app.models.webhook import EXCERPT
from app.webhooks import addresses

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
USER_AGENT = "Presave-Webhooks/1"


def new_secret():
    """A signing secret as the convention writes it: "whsec_" and 32 random bytes, base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass(frozen=True)
class Answer:
    status: int | None
    answer_ms: int | None
    excerpt: str | None
    error: str | None

    @property
    def ok(self):
        return self.status is not None and 200 <= self.status < 300


def signed_headers(secret, message_id, body, at=None):
    at = at or now_utc()
    return {"webhook-id": message_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(secret).sign(message_id, at, body),
            "content-type": "application/json", "user-agent": USER_AGENT}


def post(url, secret, message_id, body, config):
    """Send once; the Answer. Never raises for the receiver's sake."""
    try:
        target = addresses.resolve(url, config)
    except addresses.Refused as exc:
        return Answer(None, None, None, str(exc)[:300])
    headers = {**signed_headers(secret, message_id, body), "host": target.host}
    started = time.monotonic()
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
            response = client.post(target.url, content=body.encode(), headers=headers,
                                   extensions={"sni_hostname": target.server_name})
            text = response.text[:EXCERPT]
    except httpx.HTTPError as exc:
        return Answer(None, _ms(started), None, f"no answer: {type(exc).__name__}")
    return Answer(response.status_code, _ms(started), text or None, None)


def _ms(started):
    return int((time.monotonic() - started) * 1000)
