"""An outgoing message's shape (email or SMS), where a fan sees what they shared, and whether
they took a consent back."""
from dataclasses import dataclass

from app.domains.urls import fan_url

EMAIL, SMS = "email", "sms"


@dataclass(frozen=True)
class Message:
    channel: str  # email | sms
    to: str  # an address or an E.164 number
    subject: str
    text: str
    unsubscribe_url: str | None = None  # none: an account email, nothing to unsubscribe from
    html: str | None = None  # an email's HTML part, beside the text
    one_click: bool = False  # unsubscribe_url takes RFC 8058's one-click POST


def fan_me_url(artist):
    """Where a fan sees what they shared with the artist and withdraws it."""
    return fan_url(artist, "/me")


def withdrawn(fan, purpose):
    """The fan gave consent for ``purpose`` and has withdrawn every one of them."""
    given = [c for c in fan.consents if c.purpose == purpose]
    return bool(given) and all(c.withdrawn_at is not None for c in given)
