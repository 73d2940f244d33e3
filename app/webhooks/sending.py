"""One attempt at a delivery: the signed POST to the checked address, and what came back.

Signed with the `standardwebhooks` package (the convention's reference implementation):
``webhook-signature`` is "v1," + base64(HMAC-SHA256(secret, "<id>.<timestamp>.<body>")).
No redirects are followed (a redirect could lead anywhere); a 2xx is success, anything else,
or no whole answer within DEADLINE, a failure. Only the first KEEP bytes of an answer are read,
so a slow or endless answer holds a worker no longer than DEADLINE.
"""
import base64
import codecs
import secrets
import socket
import threading
import time
from dataclasses import dataclass

import httpx
from standardwebhooks import Webhook

from app.localtime import now_utc
from app.models.webhook import EXCERPT
from app.webhooks import addresses

TIMEOUT = httpx.Timeout(10.0, connect=5.0)  # for each step; DEADLINE bounds them all
DEADLINE = 15.0  # seconds for a whole attempt: connecting, sending, the answer
KEEP = 1024  # bytes of an answer read: the EXCERPT characters kept, at two bytes each
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
    """Send once; the Answer. Never raises for the receiver's sake, and names no more of an
    unexpected error than its type (its text could quote the URL and the token in it)."""
    try:
        target = addresses.resolve(url, config)
    except addresses.Refused as exc:
        return Answer(None, None, None, str(exc)[:300])
    started = time.monotonic()
    with Deadline(DEADLINE) as deadline:
        try:
            status, text = _exchange(target, signed_headers(secret, message_id, body),
                                     body, deadline)
            error = None
        except httpx.HTTPError as exc:
            error = f"no answer: {type(exc).__name__}"
        except Exception as exc:  # noqa: BLE001 (a failed attempt, not a failed worker)
            error = f"could not send: {type(exc).__name__}"
        if deadline.passed:
            error = f"no answer within {DEADLINE:g} s"
    if error:
        return Answer(None, _ms(started), None, error)
    return Answer(status, _ms(started), text or None, None)


def _exchange(target, headers, body, deadline):
    """(status, the start of the answer as text): the POST to the checked address, its
    socket cut by ``deadline`` when time is up."""
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
        with client.stream("POST", target.url, content=body.encode(),
                           headers={**headers, "host": target.host,
                                    "accept-encoding": "identity"},  # raw bytes are text
                           extensions={"sni_hostname": target.server_name,
                                       "trace": deadline.trace}) as response:
            start = _first_bytes(response, deadline)
            decoder = codecs.getincrementaldecoder(response.encoding or "utf-8")("replace")
            return response.status_code, decoder.decode(start)[:EXCERPT]


def _first_bytes(response, deadline):
    """Up to KEEP bytes of the body; the rest is never read (leaving the stream closes the
    connection), so a huge answer costs no more than a short one."""
    start = b""
    for chunk in response.iter_raw():
        start += chunk
        if len(start) >= KEEP or deadline.passed:
            break
    return start[:KEEP]


class Deadline:
    """The end of one attempt. httpx's timeouts bound each step (connect, each read), not
    their sum, so a receiver dripping its answer a byte at a time could hold the worker for
    hours; at the deadline a timer shuts the connection's socket down, which ends a read
    waiting on it at once."""

    def __init__(self, seconds):
        self.ends = time.monotonic() + seconds
        self._timer = threading.Timer(seconds, self.cut)
        self._timer.daemon = True
        self._lock = threading.Lock()
        self._socket = None

    @property
    def passed(self):
        return time.monotonic() >= self.ends

    def trace(self, event, info):
        """httpcore's trace hook: keep a duplicate of the new connection's socket (TLS wraps
        the original one and detaches it; shutting down the duplicate ends both)."""
        if event != "connection.connect_tcp.complete":
            return
        made = info["return_value"].get_extra_info("socket")
        with self._lock:
            self._socket = made.dup() if made is not None else None
        if self.passed:
            self.cut()

    def cut(self):
        with self._lock:
            if self._socket is not None:
                try:
                    self._socket.shutdown(socket.SHUT_RDWR)
                except OSError:  # already closed by the other side
                    pass

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc_info):
        self._timer.cancel()
        with self._lock:
            if self._socket is not None:
                self._socket.close()
                self._socket = None


def _ms(started):
    return int((time.monotonic() - started) * 1000)
