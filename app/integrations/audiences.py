"""What the email marketing clients (mailchimp.py, klaviyo.py) share: the fan as both see
it, the one error a sync job has to read, and one JSON call that turns every refusal into
that error; where each API is and the rest of the plumbing is app.integrations.outside.

Both clients take the label's API key as an argument on every call. It travels only in a
header, so httpx's request log never holds it, and it is blanked from every message and
body excerpt a SyncError carries.
"""
from dataclasses import dataclass
from urllib.parse import quote

import httpx
from flask import current_app

from app.integrations.outside import (OutsideError, batches, body_limit, compact_json, excerpt,
                                      header_safe, json_object, redact, retry_after, transport)

TIMEOUT = 20.0
DEFAULT_RETRY_AFTER = 10.0  # seconds to wait after a 429 that did not say how long


@dataclass(frozen=True, kw_only=True)
class Member:
    """A fan who agreed to the label's marketing email, in neither API's shape."""
    email: str
    first_name: str | None = None
    last_name: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    phone: str | None = None  # E.164
    artist: str
    release: str | None = None
    platform: str | None = None
    source: str | None = None  # the first-touch site or utm_source
    tags: tuple[str, ...] = ()  # the whole set: Klaviyo replaces it, Mailchimp only adds


class SyncError(OutsideError):
    """A call the job could not complete (the attributes: see OutsideError); ``auth``: the
    key was refused, so only staff reconnecting the tool helps."""

    def __init__(self, message, *, auth=False, **details):
        super().__init__(message, **details)
        self.auth = auth


def segment(value):
    """One path segment from outside input: a list id can never reach another path."""
    return quote(str(value), safe="")


class Api:
    """The calls of one sync to one API with one key. ``explain(body)`` reads the API's
    error body into a sentence; ``max_body`` is the API's own cap on a request body."""

    def __init__(self, name, url, explain, *, secrets, auth=None, headers=None,
                 media_type="application/json", max_body=None):
        if not header_safe(*secrets):
            raise SyncError(f"{name}: the API key holds characters no key has", auth=True)
        config = current_app.config
        self.name, self.url, self.explain = name, url.rstrip("/"), explain
        # a short secret would blank ordinary words; real keys are 30 characters or more
        self.secrets = tuple(s for s in secrets if s and len(s) >= 8)
        self.media_type = media_type
        self.max_body = body_limit(config, self.url, max_body)
        self.http = httpx.Client(transport=transport(config, self.url), timeout=TIMEOUT,
                                 auth=auth, headers={"Accept": media_type, **(headers or {})})

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.http.close()

    def batches(self, items, most):
        return batches(items, most, self.max_body)

    def call(self, method, path, *, body=None, params=None, missing_ok=False):
        """The answer's JSON ({} when it had none), or None for a 404 when ``missing_ok``."""
        headers = {"Content-Type": self.media_type} if body is not None else None
        content = compact_json(body) if body is not None else None
        try:
            answer = self.http.request(method, self.url + path, params=params, content=content,
                                       headers=headers)
        except httpx.HTTPError as exc:
            raise SyncError.unanswered(self.name, exc) from None
        if answer.status_code == 404 and missing_ok:
            return None
        if not answer.is_success:
            raise self.failure(answer)
        return json_object(answer)

    def failure(self, answer):
        status = answer.status_code
        said = self.explain(json_object(answer)) or answer.reason_phrase
        throttled = status == 429
        retryable = throttled or status >= 500
        wait = retry_after(answer)
        if wait is None and throttled:
            wait = DEFAULT_RETRY_AFTER
        return SyncError(
            redact(f"{self.name} answered {status}: {said}", *self.secrets), status=status,
            retryable=retryable, auth=status in (401, 403),
            retry_after=wait if retryable else None,
            body_excerpt=excerpt(answer, *self.secrets))
