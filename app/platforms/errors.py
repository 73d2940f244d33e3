"""Platform errors, and the mapping from a platform's HTTP answer to one of them.

Callers (the authorization routes, the release-day worker) decide by flags:
``revoked`` (send the fan through authorisation again, fail the pre-save),
``transient`` (retry later; ``retry_after`` seconds when the platform said),
anything else is permanent for this request. Messages never carry tokens or
URLs (Deezer puts the token in the query string).
"""
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")


class PlatformError(Exception):
    revoked = False
    transient = False

    def __init__(self, message, status=None, code=None, retry_after=None, revoked=None,
                 transient=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = None if code is None else str(code)
        self.retry_after = retry_after
        if revoked is not None:
            self.revoked = revoked
        if transient is not None:
            self.transient = transient

    def __repr__(self):
        return (f"{type(self).__name__}({self.message!r}, status={self.status!r}, "
                f"code={self.code!r}, retry_after={self.retry_after!r})")


class GrantRevoked(PlatformError):
    """The fan's grant is gone (invalid_grant, revoked or expired refresh token, dead MUT)."""

    revoked = True


class TokenRejected(PlatformError):
    """The access token was refused (401): refresh it and try once more."""


class RateLimited(PlatformError):
    """Slow down; ``retry_after`` is the platform's Retry-After, None when it gave none."""

    transient = True


class QuotaExceeded(RateLimited):
    """A daily or per-app quota is used up (YouTube: until midnight Pacific)."""


class TransientError(PlatformError):
    """Server error or network failure: retry with back-off."""

    transient = True


class NotSupported(PlatformError):
    """The platform cannot do this (Deezer refresh, Apple follow, ...)."""


class ItemsRejected(PlatformError):
    """The request went through but these items were not saved (unknown ids)."""

    def __init__(self, message, item_ids, **kwargs):
        super().__init__(message, **kwargs)
        self.item_ids = list(item_ids)


def error_details(response):
    """(code, message) from any of the error bodies the platforms use; (None, "") if none."""
    try:
        body = response.json()
    except ValueError:
        return None, response.text[:200].strip()
    return details_from_body(body)


def details_from_body(body):
    code, message = _details(body)
    return (None if code is None else str(code)), message


def _details(body):
    if not isinstance(body, dict):
        return None, ""
    if isinstance(body.get("errors"), list) and body["errors"]:  # JSON:API (TIDAL, Apple)
        first = body["errors"][0] if isinstance(body["errors"][0], dict) else {}
        return first.get("code"), first.get("detail") or first.get("title") or ""
    error = body.get("error")
    if isinstance(error, str):  # OAuth 2 (RFC 6749 section 5.2)
        return error, body.get("error_description") or ""
    if isinstance(error, dict):
        reasons = [e.get("reason") for e in error.get("errors") or [] if isinstance(e, dict)]
        # Google: errors[].reason; Spotify: reason; Deezer: code (an int)
        code = next(iter(filter(None, reasons)), None) or error.get("reason") or error.get("code")
        return code, error.get("message") or ""
    return None, str(body.get("message") or "")  # API gateways (Amazon): {"message": ...}


def classify(name, status, code, message, response=None):
    """The shared mapping; platform dialects handle their special cases first."""
    text = f"{name}: {message or 'HTTP ' + str(status)}"
    kwargs = {"status": status, "code": code}
    if code == "invalid_grant":
        return GrantRevoked(text, **kwargs)
    if status == 429:
        return RateLimited(text, retry_after=retry_after(response), **kwargs)
    if status and status >= 500:
        return TransientError(text, retry_after=retry_after(response), **kwargs)
    if status == 401 and code not in ("invalid_client", "unauthorized_client"):
        return TokenRejected(text, **kwargs)
    return PlatformError(text, **kwargs)


def retry_after(response, now=None):
    """Seconds from a Retry-After header (delta-seconds or HTTP-date), else None."""
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def seconds_to_pacific_midnight(now=None):
    """YouTube quotas reset at midnight Pacific time."""
    now = (now or datetime.now(timezone.utc)).astimezone(PACIFIC)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), PACIFIC)
    return (midnight - now).total_seconds()
