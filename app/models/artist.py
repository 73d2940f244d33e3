from sqlalchemy import JSON, Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.languages import N_
from app.models.base import LabelOwned, Model, UTCDateTime, utcnow

FIELD_MODES = [("off", "Off"), ("optional", "Optional"), ("required", "Required")]
DEFAULT_EMAIL_CONSENT = N_("Send me news and offers from this artist by email.")
DEFAULT_SMS_CONSENT = N_("Send me news and offers from this artist by text message.")
DEFAULT_CONSENTS = {"email_marketing": DEFAULT_EMAIL_CONSENT,
                    "sms_marketing": DEFAULT_SMS_CONSENT}  # by purpose (app.models.fan's)


class Artist(LabelOwned, Model):
    """An artist on a label's roster, with the branding of its fan pages."""

    __tablename__ = "artist"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    timezone: Mapped[str | None] = mapped_column(String(64))
    bio: Mapped[str | None] = mapped_column(Text)
    image: Mapped[str | None] = mapped_column(String(80))
    primary_color: Mapped[str] = mapped_column(String(7), default="#1d1d1f")
    accent_color: Mapped[str] = mapped_column(String(7), default="#1db954")
    background_color: Mapped[str] = mapped_column(String(7), default="#ffffff")
    text_color: Mapped[str] = mapped_column(String(7), default="#111111")
    wrapper_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    collect_name: Mapped[str] = mapped_column(String(10), default="optional")
    collect_email: Mapped[str] = mapped_column(String(10), default="optional")
    collect_phone: Mapped[str] = mapped_column(String(10), default="off")
    consent_email_text: Mapped[str] = mapped_column(Text, default=DEFAULT_EMAIL_CONSENT)
    consent_sms_text: Mapped[str] = mapped_column(Text, default=DEFAULT_SMS_CONSENT)
    offer_follow: Mapped[bool] = mapped_column(Boolean, default=False)
    # Its fan pages' language for a visitor whose browser asks for none we speak
    default_language: Mapped[str] = mapped_column(String(10), default="en", server_default="en")
    # {"ja": {"email_marketing": "...", "sms_marketing": "..."}}: the consent texts above in other
    # languages; a language without its own shows the default wording translated
    consent_texts: Mapped[dict | None] = mapped_column(JSON, default=dict)
    # {"spotify": "...", "apple_music": "...", ...}: the artist's ids on each platform
    platform_ids: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    label = relationship("Label", back_populates="artists")
    releases = relationship("Release", back_populates="artist", passive_deletes=True)

    def __repr__(self):
        return self.name
