"""What the ad platforms' conversion APIs (meta_capi, tiktok_events) share: the conversion a
fan made, the error both clients raise and how they post in batches; where they send and the
rest of the plumbing is app.integrations.outside.

Access tokens are never logged nor part of an error: the clients send them in the body or a
header, never the URL, and every text kept from an answer has them blanked out, as a service
may echo a bad token back in its error message.
"""
import math
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from app.integrations.hashing import hashed_country, hashed_email, hashed_phone
from app.integrations.outside import (OutsideError, batches, body_limit, compact_json, excerpt,
                                      header_safe, redact, retry_after, transport)

TIMEOUT = 10.0
MAX_EVENTS = 1000  # per request: both Meta and TikTok refuse more


@dataclass(frozen=True)
class Conversion:
    """One thing a fan did (a "Lead" on completing a pre-save, a "PageView"). The contact
    fields are personal data, so they stay out of repr() and thus out of any log line."""
    event_id: str  # the same for the browser's pixel and us: each service keeps one of both
    event_name: str
    event_time: datetime
    event_source_url: str
    email: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)  # E.164
    client_ip: str | None = field(default=None, repr=False)
    client_user_agent: str | None = None
    country: str | None = None  # ISO 3166 two letters

    def __post_init__(self):
        if self.event_time.tzinfo is None:
            raise ValueError("event_time needs a time zone")

    @property
    def unix_time(self):
        return int(self.event_time.timestamp())

    @property
    def email_sha256(self):
        return hashed_email(self.email)

    @property
    def phone_sha256(self):
        return hashed_phone(self.phone)

    @property
    def country_sha256(self):
        return hashed_country(self.country)


class ConversionError(OutsideError):
    """The service did not take the conversions (the attributes: see OutsideError); code: the
    service's own error code, if any."""

    def __init__(self, text, *, retryable, code=None, **details):
        super().__init__(text, retryable=retryable, **details)
        self.code = code


def refused(service, answer, secret, *, retryable, code=None, said=None):
    """The ConversionError for an answer that was not a success; ``said``: the service's own
    words for it. The wait is rounded up to whole seconds, as both services send them."""
    where = f"{service} answered {answer.status_code}" + (
        f" (code {code})" if code is not None else "")
    wait = retry_after(answer)
    return ConversionError(redact(f"{where}: {said or answer.reason_phrase}", secret),
                           retryable=retryable,
                           retry_after=None if wait is None else math.ceil(wait),
                           status=answer.status_code, code=code,
                           body_excerpt=excerpt(answer, secret))


def post_batches(service, url, events, payload, accept, *, secret, config, headers=None):
    """POST ``payload(batch)`` as JSON for each batch of the API-shaped events, in order; the
    list of ``accept(answer)``. ``accept`` raises ConversionError for an answer it refuses,
    and the batches after it are not sent: a retry sends the earlier ones again, which both
    services drop as duplicates of the same event_id."""
    if not header_safe(secret):
        raise ConversionError(f"{service}: the access token holds characters no token has",
                              retryable=False)
    with httpx.Client(transport=transport(config, url), timeout=TIMEOUT) as http:
        return [accept(_post(http, service, url, payload(batch), headers))
                for batch in batches(events, MAX_EVENTS, body_limit(config, url))]


def _post(http, service, url, payload, headers):
    try:
        return http.post(url, content=compact_json(payload),
                         headers={"Content-Type": "application/json", **(headers or {})})
    except httpx.HTTPError as exc:
        raise ConversionError.unanswered(service, exc) from None
