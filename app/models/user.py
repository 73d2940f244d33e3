from flask_appbuilder.security.sqla.models import User
from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.localtime import now_utc
from app.models.base import Model, UTCDateTime, utcnow

INVITE, RESET = "invite", "reset"


class PresaveUser(User):
    """FAB's user with its label (null only for Admin) and, for Artist users, its artist.

    Not a LabelOwned row: the login path reads users before any scope exists.
    The scoping module filters it by label whenever a label scope is active.
    An invited user has no password until the invitation is accepted.
    """

    label_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("label.id", ondelete="CASCADE"), index=True)
    artist_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("artist.id", ondelete="SET NULL"), index=True)
    # Too many failed sign-ins in a row: no password is even checked until then.
    locked_until = mapped_column(UTCDateTime)
    # Two-factor sign-in: the TOTP secret, sealed; on from totp_enabled_at (a secret without
    # it is an enrolment not yet confirmed). totp_last_step: the last code's time step, so
    # one code signs in once.
    totp_secret_sealed: Mapped[str | None] = mapped_column(Text)
    totp_enabled_at = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    timezone: Mapped[str | None] = mapped_column(String(64))  # the admin's times; None: the label's

    label = relationship("Label", foreign_keys=[label_id])
    artist = relationship("Artist", foreign_keys=[artist_id])
    tokens = relationship("AccountToken", back_populates="user", order_by="AccountToken.id",
                          passive_deletes=True)

    @property
    def role_names(self):
        return {role.name for role in self.roles}

    @property
    def invitation(self):
        """The newest invitation, or None."""
        return next((t for t in reversed(self.tokens) if t.purpose == INVITE), None)

    @property
    def invitation_live(self):
        row = self.invitation
        return (not self.password and row is not None and row.used_at is None
                and row.voided_at is None and row.expires_at > now_utc())

    @property
    def account_state(self):
        """How the account reads to its label admin: active, disabled, or its invitation."""
        if self.password:
            return "Active" if self.active else "Disabled"
        row = self.invitation
        if row is None:
            return "No invitation sent"
        if row.voided_at is not None:
            return "Invitation revoked"
        if row.expires_at <= now_utc():
            return "Invitation expired"
        return f"Invited, link valid until {row.expires_at.strftime('%d %b, %H:%M UTC')}"

    @property
    def two_factor_on(self):
        return self.totp_enabled_at is not None

    def _context(self, field):
        return ("ab_user", self.id, field)

    def set_totp_secret(self, ring, secret):
        if self.id is None:
            raise ValueError("save the user before sealing its secret")
        self.totp_secret_sealed = ring.seal(secret, self._context("totp"))

    def totp_secret(self, ring):
        return ring.open(self.totp_secret_sealed, self._context("totp"))


class AccountToken(Model):
    """A single-use link for one user: an invitation or a password reset.

    Only the SHA-256 of the random token is stored; the link in the email is the only copy.
    """

    __tablename__ = "account_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"),
                                         index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # invite | reset
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at = mapped_column(UTCDateTime, nullable=False)
    used_at = mapped_column(UTCDateTime)
    voided_at = mapped_column(UTCDateTime)  # resent (a newer link) or revoked
    created_by: Mapped[str | None] = mapped_column(String(128))

    user = relationship(PresaveUser, back_populates="tokens")
