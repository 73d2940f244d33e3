"""Customer data as the ad platforms take it: normalised, then SHA-256 in lower-case hex.

Meta and TikTok match a hash only against the hash of the same normalised text, so an
address with a capital letter or a number with a "+" would silently match no one.
"""
import hashlib
import re

_SHA256 = re.compile(r"[0-9a-f]{64}")


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def normalised_email(email):
    return email.strip().lower()


def normalised_phone(phone):
    """Digits only, country code first, no "+" or leading zeros: "+44 7700 900123" and
    "0044 7700 900123" both give "447700900123"."""
    return "".join(c for c in phone if c.isdigit()).lstrip("0")


def hashed_email(email):
    """The address's hash, or None when there is no address to hash."""
    text = normalised_email(email or "")
    return sha256(text) if text else None


def hashed_phone(phone):
    """The E.164 number's hash, or None when it has no digits."""
    text = normalised_phone(phone or "")
    return sha256(text) if text else None


def hashed_country(country):
    """The two-letter country code's hash (lower-case, as Meta asks), or None."""
    text = (country or "").strip().lower()
    return sha256(text) if text else None


def is_sha256(value):
    return isinstance(value, str) and _SHA256.fullmatch(value) is not None
