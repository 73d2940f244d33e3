"""Messages to fans: a message (an automation's for one release, or a blast), a ledger row per
recipient, the artist's suppression list, the artist's automation settings, and the claim that
keeps automations to one message per fan, release and day."""
from sqlalchemy import (JSON, Boolean, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import ArtistOwned, LabelOwned, Model, UTCDateTime, utcnow

EMAIL, SMS = "email", "sms"
CHANNELS = (EMAIL, SMS)

# What a message is: one of the automations, tied to a release stage, or a blast.
THANK_YOU, ITS_OUT, OPENS, FOLLOW_UP, RECONSENT = (
    "thank_you", "its_out", "presave_opens", "follow_up", "reconsent")
AUTOMATIONS = (THANK_YOU, ITS_OUT, OPENS, FOLLOW_UP, RECONSENT)
BLAST = "blast"

# A recipient's way through the ledger: queued (waiting for its time) -> in_progress (leased
# by a worker) -> one of the ends. ``reason`` says why for every end but sent.
QUEUED, IN_PROGRESS = "queued", "in_progress"
SENT, FAILED, BOUNCED, SUPPRESSED, CANCELLED = (
    "sent", "failed", "bounced", "suppressed", "cancelled")
RECIPIENT_STATES = (QUEUED, IN_PROGRESS, SENT, FAILED, BOUNCED, SUPPRESSED, CANCELLED)

# Why an address is on an artist's suppression list.
UNSUBSCRIBED, HARD_BOUNCE, STOPPED = "unsubscribed", "bounced", "stop"


class Message(LabelOwned, Model):
    """What goes out: its words (merge fields and all), to whom, and when."""

    __tablename__ = "message"
    id: Mapped[int] = mapped_column(primary_key=True)
    # None: a blast to fans of every artist of the label
    artist_id: Mapped[int | None] = mapped_column(ForeignKey("artist.id", ondelete="CASCADE"),
                                                  index=True)
    release_id: Mapped[int | None] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # An automation's message is one per kind and release: "thank_you-12". None for blasts.
    automation_key: Mapped[str | None] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)  # plain text with {merge_fields}
    sms_body: Mapped[str | None] = mapped_column(Text)
    channels: Mapped[str] = mapped_column(String(20), default=EMAIL)  # "email", "sms", "email sms"
    segment: Mapped[dict | None] = mapped_column(JSON)  # a blast's audience
    send_at = mapped_column(UTCDateTime)  # a blast's time; automations: per recipient
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    artist = relationship("Artist")
    release = relationship("Release")

    def __repr__(self):
        return self.name


class MessageRecipient(ArtistOwned, Model):
    """One fan and one channel of a message, from queued to its outcome."""

    __tablename__ = "message_recipient"
    __table_args__ = (
        UniqueConstraint("message_id", "fan_id", "channel", name="uq_message_recipient"),
        Index("ix_message_recipient_due", "state", "next_attempt_at"),
        Index("ix_message_recipient_message_state", "message_id", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"))
    fan_id: Mapped[int] = mapped_column(ForeignKey("fan.id", ondelete="CASCADE"), index=True)
    release_id: Mapped[int | None] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str | None] = mapped_column(String(32))  # the fan's platform, for its links
    channel: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20), default=QUEUED)
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at = mapped_column(UTCDateTime)
    leased_until = mapped_column(UTCDateTime)
    lease_token: Mapped[str | None] = mapped_column(String(32))
    provider_id: Mapped[str | None] = mapped_column(String(250))  # Message-ID, an SMS id
    sent_at = mapped_column(UTCDateTime)
    language: Mapped[str | None] = mapped_column(String(10))  # what it was sent in
    clicks: Mapped[int] = mapped_column(Integer, default=0)  # its tracked links followed
    first_clicked_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    message = relationship("Message")
    fan = relationship("Fan")
    release = relationship("Release")


class Suppression(ArtistOwned, Model):
    """An address the artist never messages again on a channel; kept as a salted hash, so it
    outlives the fan's erasure without keeping the address."""

    __tablename__ = "suppression"
    __table_args__ = (
        UniqueConstraint("artist_id", "channel", "address_hash", name="uq_suppression"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    address_hash: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(20))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Automation(ArtistOwned, Model):
    """An artist's own settings for one automation; without a row, the defaults in
    app.messaging.automations."""

    __tablename__ = "automation"
    __table_args__ = (UniqueConstraint("artist_id", "kind", name="uq_automation_artist_kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    delay_minutes: Mapped[int] = mapped_column(Integer, default=0)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sms_body: Mapped[str | None] = mapped_column(Text)
    # {"ja": {"subject": ..., "body": ..., "sms_body": ...}}: the words above in other
    # languages; a language without its own sends the default words translated
    translations: Mapped[dict | None] = mapped_column(JSON, default=dict)

    artist = relationship("Artist")


class AutomationDay(ArtistOwned, Model):
    """The one automation message a fan gets about a release on a day (the fan's local day):
    claimed by the recipient row that sends it, before it sends."""

    __tablename__ = "automation_day"
    __table_args__ = (
        UniqueConstraint("fan_id", "release_id", "day", name="uq_automation_day"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    fan_id: Mapped[int] = mapped_column(ForeignKey("fan.id", ondelete="CASCADE"))
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"))
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD in the fan's zone
    recipient_id: Mapped[int] = mapped_column(
        ForeignKey("message_recipient.id", ondelete="CASCADE"), index=True)
