from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import LabelOwned, Model, UTCDateTime, utcnow
from app.platform_table import descriptor, name, user_limit


class Label(Model):
    """The tenant: a record label with its roster."""

    __tablename__ = "label"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Who answers for the fans' data (GDPR's controller), named on every fan page; blank, the
    # label's name and the built-in notice stand in.
    privacy_controller: Mapped[str | None] = mapped_column(String(200))
    privacy_contact: Mapped[str | None] = mapped_column(String(254))
    privacy_url: Mapped[str | None] = mapped_column(String(500))
    terms_url: Mapped[str | None] = mapped_column(String(500))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    artists = relationship("Artist", back_populates="label", passive_deletes=True)

    def __repr__(self):
        return self.name


class PlatformCredential(LabelOwned, Model):
    """A label's own app credentials for one platform; secrets sealed at rest."""

    __tablename__ = "platform_credential"
    __table_args__ = (UniqueConstraint("label_id", "platform", name="uq_credential_label_platform"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    client_id: Mapped[str | None] = mapped_column(String(255))
    client_secret_sealed: Mapped[str | None] = mapped_column(Text)
    extra_sealed: Mapped[str | None] = mapped_column(Text)
    # development | extended, where the platform limits a development-mode app (Spotify);
    # empty reads as development, what a new app is.
    quota_mode: Mapped[str | None] = mapped_column(String(16))
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    label = relationship("Label")

    def _context(self, field):
        return ("platform_credential", self.label_id, self.label_id, self.platform, field)

    def set_client_secret(self, ring, secret):
        self.client_secret_sealed = ring.seal(secret, self._context("client_secret"))

    def client_secret(self, ring):
        return ring.open(self.client_secret_sealed, self._context("client_secret"))

    def set_extra(self, ring, value):
        self.extra_sealed = ring.seal(value, self._context("extra"))

    def extra(self, ring):
        return ring.open(self.extra_sealed, self._context("extra"))

    @property
    def platform_name(self):
        return name(self.platform)

    @property
    def user_limit(self):
        return user_limit(self.platform, self.quota_mode)

    @property
    def quota(self):
        """The quota mode in words, where the platform has one ("" elsewhere)."""
        found = descriptor(self.platform)
        if found is None or found.development_users is None:
            return ""
        most = self.user_limit
        return f"development: at most {most} fans" if most else "extended: no limit"

    @property
    def secret_state(self):
        return "stored (sealed)" if self.client_secret_sealed else "not set"

    def __repr__(self):
        return name(self.platform)
