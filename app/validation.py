"""Input rules shared by the admin forms, the API and the CLI.

Each function returns the normalised value or raises ValueError with a
message a person can act on.
"""
import re
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from app import languages
from app.localtime import zone
from app.platform_table import PLATFORM_KEYS

# re.ASCII: "\d" would otherwise accept any Unicode digit (Arabic-Indic, full-width, ...).
MAX_ID = 2**31 - 1  # the largest value an integer primary key holds on PostgreSQL
ISRC_RE = re.compile(r"^([A-Z]{2})([A-Z0-9]{3})(\d{2})(\d{5})$", re.ASCII)
GTIN_RE = re.compile(r"\d{12,13}", re.ASCII)
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


def isrc(value):
    """ISRC as 12 upper-case characters; dashes, spaces and case are forgiven."""
    if value in (None, ""):
        return None
    compact = re.sub(r"[\s-]", "", str(value)).upper()
    if not ISRC_RE.fullmatch(compact):
        raise ValueError("ISRC must look like CC-XXX-YY-NNNNN: a 2-letter country code, "
                         "3 letters or digits, a 2-digit year and 5 digits (e.g. US-RC1-26-00001)")
    return compact


def gtin_check_digit_ok(digits):
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def upc(value):
    """UPC-A (12 digits) or EAN-13 (13 digits) with a valid check digit."""
    if value in (None, ""):
        return None
    compact = re.sub(r"[\s-]", "", str(value))
    if not GTIN_RE.fullmatch(compact):
        raise ValueError("UPC/EAN must be 12 or 13 digits")
    if not gtin_check_digit_ok(compact):
        raise ValueError("UPC/EAN check digit is wrong: please re-check the code")
    return compact


def timezone_name(value):
    zone(value)
    return value


def platforms(values):
    chosen = [v for v in (values or []) if v]
    unknown = [v for v in chosen if v not in PLATFORM_KEYS]
    if unknown:
        raise ValueError(f"Unknown platform(s): {', '.join(map(str, unknown))}. "
                         f"Choose from {', '.join(PLATFORM_KEYS)}")
    if not chosen:
        raise ValueError("Choose at least one platform")
    return [key for key in PLATFORM_KEYS if key in chosen]


def slug(value):
    text = str(value or "").strip().lower()
    if not SLUG_RE.fullmatch(text) or len(text) > 80:
        raise ValueError("Use lower-case letters, digits and single dashes (e.g. midnight-city)")
    return text


def slugify(text):
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:80] or "release"


def color(value):
    if not COLOR_RE.fullmatch(str(value or "")):  # "$" alone lets a trailing newline in
        raise ValueError("Colours are #RRGGBB hex values")
    return str(value).lower()


def language(value):
    """A language the fan pages speak, by its code ("pt_BR") or tag ("pt-BR"): its code."""
    spoken = languages.find(value)
    if spoken is None:
        raise ValueError("Choose a language the fan pages speak: "
                         + ", ".join(code for code, _ in languages.choices()))
    return spoken.code


def field_mode(value):
    if value not in ("off", "optional", "required"):
        raise ValueError("Each field is off, optional or required")
    return value


def plain_text(value, limit, what, lines=False):
    """Text shown as-is on a fan page: trimmed, at most ``limit`` characters, no control
    characters (line breaks only where ``lines``); blank is None."""
    text = str(value or "").strip()
    if not text:
        return None
    allowed = "\n" if lines else ""
    text = text.replace("\r\n", "\n")
    if any(ord(c) < 32 and c not in allowed for c in text):
        raise ValueError(f"The {what} is plain text: no tabs or control characters"
                         + ("" if lines else ", one line"))
    if len(text) > limit:
        raise ValueError(f"Keep the {what} to {limit} characters (it has {len(text)})")
    return text


def web_address(value):
    """An https (or http) address a fan's browser can open: no javascript:, no data:."""
    text = str(value or "").strip()
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.netloc or any(c.isspace() for c in text):
        raise ValueError("Give a full web address starting with https:// (e.g. "
                         "https://label.example/privacy)")
    if len(text) > 500:
        raise ValueError("Web addresses are at most 500 characters")
    return text


def email_address(value):
    """The address normalised (domain lower-cased, Unicode NFC); its domain is not looked up."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        # email-validator says why in English; the fan's language frames it
        raise ValueError(languages.gettext("That email address doesn't look right: %(reason)s",
                                           reason=exc)) from None
