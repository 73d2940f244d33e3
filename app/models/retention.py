"""A label's data retention policy: how long each kind of personal data is kept. A label
without a row has the safe defaults (DEFAULTS); app.retention applies the policy."""
from dataclasses import dataclass

from sqlalchemy import Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.audit import KEEP_AT_LEAST_DAYS
from app.models.base import LabelOwned, Model, UTCDateTime, utcnow


@dataclass(frozen=True)
class Limit:
    """One setting: its column, the words the settings page gives it, its unit, the default,
    and the range a label may choose from."""

    column: str
    title: str
    unit: str  # "days" or "months"
    default: int
    low: int
    high: int
    why_low: str = ""  # why the floor is where it is, said to whoever goes below it


LIMITS = (
    Limit("unfinished_fan_days", "Fans who never completed a pre-save", "days", 30, 1, 3650),
    Limit("withdrawn_fan_days", "Fans who withdrew their consents", "days", 30, 1, 3650),
    Limit("ledger_months", "Personal data in the delivery and message ledgers", "months",
          18, 1, 120),
    Limit("outbound_days", "Personal data sent to webhooks, ad platforms and email tools",
          "days", 30, 7, 3650,
          "a failing webhook endpoint needs time to be fixed and its deliveries replayed"),
    Limit("cookie_choice_days", "Visitors' answers to the ad cookie question", "days", 180,
          180, 3650, "an answer is recorded for as long as it is used"),
    Limit("audit_days", "Audit trail entries", "days", 1095, KEEP_AT_LEAST_DAYS, 3650,
          "the database refuses to delete younger audit entries"),
)
DEFAULTS = {limit.column: limit.default for limit in LIMITS}


def _limit(column):
    return mapped_column(Integer, default=DEFAULTS[column], nullable=False)


class RetentionPolicy(LabelOwned, Model):
    """One label's limits (Account → Data retention)."""

    __tablename__ = "retention_policy"
    __table_args__ = (UniqueConstraint("label_id", name="uq_retention_policy_label"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unfinished_fan_days: Mapped[int] = _limit("unfinished_fan_days")
    withdrawn_fan_days: Mapped[int] = _limit("withdrawn_fan_days")
    ledger_months: Mapped[int] = _limit("ledger_months")
    outbound_days: Mapped[int] = _limit("outbound_days")
    cookie_choice_days: Mapped[int] = _limit("cookie_choice_days")
    audit_days: Mapped[int] = _limit("audit_days")
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    def values(self):
        return {limit.column: getattr(self, limit.column) for limit in LIMITS}
