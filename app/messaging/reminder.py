"""The release-day reminder of one pre-save: email when the fan left one, else SMS."""
from dataclasses import dataclass

from flask import current_app

from app.messaging import Refused, Withdrawn
from app.platform_table import name
from app.models.fan import RELEASE_REMINDER

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


def reminder_for(presave, link):
    """The message for a remind pre-save, pointing at ``link`` (its fan page); Refused without
    a contact, Withdrawn when the fan took the reminder back."""
    fan, release = presave.fan, presave.release
    if withdrawn(fan, RELEASE_REMINDER):
        raise Withdrawn("not sent: the fan withdrew the reminder")
    stop = fan_me_url(release.artist)
    platform = name(presave.platform)
    subject = f"“{release.title}” by {release.artist.name} is out now"
    if fan.email:
        return Message(EMAIL, fan.email, subject, _email_text(fan, subject, platform, link, stop),
                       stop)
    if fan.phone:
        return Message(SMS, fan.phone, subject, f"{subject} on {platform}: {link} "
                                                f"Stop messages: {stop}", stop)
    raise Refused("not sent: the fan left no email or phone")


def fan_me_url(artist):
    """Where a fan sees what they shared with the artist and withdraws it."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/s/{artist.slug}/me"


def _email_text(fan, subject, platform, link, stop):
    greeting = f"Hi {fan.name}," if fan.name else "Hi,"
    return (f"{greeting}\n\n{subject}. Listen on {platform}:\n{link}\n\n"
            f"You asked for this one reminder. To stop messages, or to see what you shared, "
            f"go to {stop}\n")


def withdrawn(fan, purpose):
    """The fan gave consent for ``purpose`` and has withdrawn every one of them."""
    given = [c for c in fan.consents if c.purpose == purpose]
    return bool(given) and all(c.withdrawn_at is not None for c in given)
