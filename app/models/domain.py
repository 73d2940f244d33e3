"""A label's own domains: hostnames its fan pages are served on (music.northwind.com), each
proven to be the label's before it serves (app.domains)."""
from sqlalchemy import Index, String, UniqueConstraint, inspect, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import LabelOwned, Model, UTCDateTime, utcnow

PENDING, VERIFIED, ACTIVE = "pending", "verified", "active"
STATES = (PENDING, VERIFIED, ACTIVE)
SERVING = ("hostname", "label_id", "state")  # what decides who a hostname serves; not the checks


class CustomDomain(LabelOwned, Model):
    """A hostname and the token that proves it: pending until the check finds the token (over
    HTTP or in DNS), verified once it did, active while it serves the label's fan pages. At
    most one domain of a label is active: the one its fan page links are made with."""

    __tablename__ = "custom_domain"
    __table_args__ = (UniqueConstraint("hostname", name="uq_custom_domain_hostname"),
                      Index("ix_custom_domain_state", "state"),
                      # one active domain per label, whatever two admins press at once
                      Index("uq_custom_domain_one_active", "label_id", unique=True,
                            postgresql_where=text("state = 'active'"),
                            sqlite_where=text("state = 'active'")))
    id: Mapped[int] = mapped_column(primary_key=True)
    hostname: Mapped[str] = mapped_column(String(253))  # lower case, no trailing dot
    token: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    verified_by: Mapped[str | None] = mapped_column(String(8))  # "http" or "dns"
    verified_at = mapped_column(UTCDateTime)
    checked_at = mapped_column(UTCDateTime)  # the last check, whatever it found
    failing_since = mapped_column(UTCDateTime)  # the first failed check since the last success
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[str | None] = mapped_column(String(120))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    label = relationship("Label")

    def __repr__(self):
        return self.hostname


def serving_changed(domain):
    """Whether a flush of ``domain`` changes who its hostname serves (a re-check that only
    notes its time and finding does not)."""
    state = inspect(domain)
    return state.pending or state.deleted or any(
        state.attrs[name].history.has_changes() for name in SERVING)
