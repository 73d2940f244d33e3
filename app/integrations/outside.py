"""What every client of an outside service here needs alike, whatever the service: where to
send (the real API, a setting, or this app's own sandbox), how to reach this app's sandbox
without a web server, how to cut a long list into requests the service and this app will
take, how to read a refusal without leaking a secret, and the error a job reads.

Secrets (tokens, API keys) travel in a header or the body, never the URL; whatever text is
kept from an answer has them blanked out, as a service may echo a bad one back.
"""
import json
import math

import httpx
from flask import current_app

# This app refuses a JSON body over 256 KB before any view runs, its own sandbox included
# (app.errors.MAX_JSON_BYTES, which this layer may not import; a test keeps the two equal).
OWN_JSON_LIMIT = 256 * 1024
ENVELOPE = 2048  # bytes a request's wrapper may take beside its items (a token, a list id...)
EXCERPT_CHARS = 300
REDACTED = "[redacted]"


class OutsideError(Exception):
    """An outside service did not do what was asked.

    retryable: the same request may go through later, after ``retry_after`` seconds when the
    service said; status: the HTTP status (None when nothing answered); body_excerpt: the
    start of its answer, the secrets blanked out.
    """

    def __init__(self, text, *, retryable=False, retry_after=None, status=None,
                 body_excerpt=""):
        super().__init__(text)
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status
        self.body_excerpt = body_excerpt

    @classmethod
    def unanswered(cls, service, exc):
        """For a request that got no answer: only the exception's type is told, as the
        exception holds the request and so its secret. Raise it ``from None``."""
        return cls(f"{service} did not answer: {type(exc).__name__}", retryable=True)


def base_url(config, setting, sandbox_path, real_default):
    """The API's base URL: the setting when given, else the sandbox's stand-in while the
    sandbox is on (a development install), else the real service."""
    if config.get(setting):
        return config[setting].rstrip("/")
    if config.get("SANDBOX_ENABLED"):
        return config["PUBLIC_BASE_URL"].rstrip("/") + sandbox_path
    return real_default


def own_sandbox(config, url):
    """Whether ``url`` is this app's own sandbox, whatever the transport: its limits apply."""
    return url.startswith(config.get("PUBLIC_BASE_URL", "").rstrip("/") + "/sandbox/")


def transport(config, url):
    """Into this very app over WSGI when ``url`` is its own sandbox and SANDBOX_IN_PROCESS is
    on (as the platform clients do), so a worker needs no web server to reach it; else None,
    plain HTTP."""
    if own_sandbox(config, url) and config.get("SANDBOX_IN_PROCESS", True):
        return httpx.WSGITransport(app=current_app._get_current_object())
    return None


def body_limit(config, url, api_limit=None):
    """The most bytes a request body to ``url`` may take: this app's own limit when it is its
    sandbox, which would refuse what the real API takes; else the API's own (None: none)."""
    return OWN_JSON_LIMIT if own_sandbox(config, url) else api_limit


def compact_json(value):
    """The bytes sent for a JSON body: batches() measures items in this same encoding."""
    return json.dumps(value, separators=(",", ":")).encode()


def batches(items, most, max_bytes=None):
    """Runs of at most ``most`` items whose compact JSON, with a request's ENVELOPE, fits in
    ``max_bytes`` when given: an API caps both how many and how large."""
    run, size = [], ENVELOPE
    for item in items:
        cost = len(compact_json(item)) + 1  # and its comma
        if run and (len(run) == most or (max_bytes and size + cost > max_bytes)):
            yield run
            run, size = [], ENVELOPE
        run.append(item)
        size += cost
    if run:
        yield run


def header_safe(*secrets):
    """Whether the secrets can go in a header: httpx names a value it cannot encode in its
    exception, which would carry the secret into a log."""
    return all(secret.isascii() and secret.isprintable() for secret in secrets)


def redact(text, *secrets):
    """``text`` with each secret blanked out."""
    text = str(text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def excerpt(answer, *secrets):
    """The start of an answer's body, for an error, the secrets blanked out."""
    return redact(answer.text, *secrets)[:EXCERPT_CHARS]


def retry_after(answer):
    """Seconds from the answer's Retry-After in the delta-seconds form these APIs send, else
    None (none given, an HTTP date, or no finite number)."""
    try:
        seconds = float(answer.headers.get("Retry-After"))
    except (TypeError, ValueError):
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


def json_object(answer):
    """The answer's JSON object, or {} when it is none (no body, a proxy's HTML error page)."""
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
