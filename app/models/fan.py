from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import ArtistOwned, Model, UTCDateTime, utcnow
from app.platform_table import PLATFORM_CHOICES

EMAIL_MARKETING, SMS_MARKETING = "email_marketing", "sms_marketing"
RELEASE_REMINDER = "release_reminder"  # the one message a fan asks for; not marketing
PRESAVE_OPENS = "presave_opens"  # one message when a Coming Soon release's pre-save opens
ERASED = "Erased at the fan's request"
# How a fan took a consent back: on their own page, by a message's unsubscribe link, by STOP.
ON_FAN_PAGE, BY_UNSUBSCRIBE_LINK, BY_SMS_STOP = "fan page", "email unsubscribe link", "SMS STOP"
BY_SMS_START = "agreed again by texting START"  # after a STOP: the new consent's words say so
FUTURE_SAVE_PREFIX = "future_save_"  # + a platform key: save the artist's next releases there


def future_save_purpose(platform):
    return f"{FUTURE_SAVE_PREFIX}{platform}"


FOLLOW_PREFIX = "follow_"  # + a platform key: the fan had us follow the artist there (once)


def follow_purpose(platform):
    return f"{FOLLOW_PREFIX}{platform}"


CONSENT_PURPOSES = [(EMAIL_MARKETING, "Email marketing"), (SMS_MARKETING, "SMS marketing"),
                    (RELEASE_REMINDER, "Release-day reminder"),
                    (PRESAVE_OPENS, "Pre-save opening notice"),
                    *[(future_save_purpose(key), f"Future Save on {name}")
                      for key, name in PLATFORM_CHOICES]]


class Fan(ArtistOwned, Model):
    """A fan of one artist (within its label); contact details as given."""

    __tablename__ = "fan"
    __table_args__ = (
        UniqueConstraint("artist_id", "email", name="uq_fan_artist_email"),
        Index("ix_fan_artist_created", "artist_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    name: Mapped[str | None] = mapped_column(String(120))
    city: Mapped[str | None] = mapped_column(String(120))
    country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str | None] = mapped_column(String(64))
    # the language they signed up in: their messages speak it
    language: Mapped[str] = mapped_column(String(10), default="en", server_default="en")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    erased_at = mapped_column(UTCDateTime)  # at the fan's request: the row stays, empty

    artist = relationship("Artist")
    consents = relationship("Consent", back_populates="fan", passive_deletes=True)
    source = relationship("FanSource", uselist=False, viewonly=True)  # where they came from

    def __repr__(self):
        if self.erased_at is not None:
            return ERASED
        return self.name or self.email or f"Fan #{self.id}"


class Consent(ArtistOwned, Model):
    """One purpose a fan agreed to, with the exact wording shown."""

    __tablename__ = "consent"
    id: Mapped[int] = mapped_column(primary_key=True)
    fan_id: Mapped[int] = mapped_column(ForeignKey("fan.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    wording: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(10), default="en", server_default="en")  # words
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    given_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    withdrawn_at = mapped_column(UTCDateTime)
    withdrawn_via: Mapped[str | None] = mapped_column(String(40))  # WITHDRAWN_VIA's words

    fan = relationship("Fan", back_populates="consents")
