"""A label's limits as the rules read them (its row, else the defaults; always within each
limit's range), a settings form read into limits with a message for each bad value, and the
limit of the audit entries that belong to no label."""
import re

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import RetentionPolicy
from app.models.audit import KEEP_AT_LEAST_DAYS
from app.models.retention import DEFAULTS, LIMITS

WHOLE = re.compile(r"[0-9]+")


def row_of(label_id):
    return db.session.scalar(select(RetentionPolicy).where(RetentionPolicy.label_id == label_id))


def limits_for(label_id):
    """{column: value} in force for the label."""
    row = row_of(label_id)
    stored = row.values() if row is not None else DEFAULTS
    return {limit.column: min(max(stored[limit.column], limit.low), limit.high)
            for limit in LIMITS}


def instance_limits():
    """The limits of the rows of no label: only audit entries have one (AUDIT_KEEP_DAYS)."""
    return {"audit_days": max(current_app.config["AUDIT_KEEP_DAYS"], KEEP_AT_LEAST_DAYS)}


def parse(form):
    """({column: value} of the good values, {column: message} of the bad ones)."""
    values, errors = {}, {}
    for limit in LIMITS:
        text = (form.get(limit.column) or "").strip()
        if not WHOLE.fullmatch(text):
            errors[limit.column] = (f"Give a whole number of {limit.unit}, "
                                    f"such as {limit.default}")
            continue
        digits = text.lstrip("0") or "0"
        value = int(digits) if len(digits) <= 9 else limit.high + 1  # Python refuses huge ones
        if value < limit.low:
            why = f" ({limit.why_low})" if limit.why_low else ""
            errors[limit.column] = f"At least {limit.low} {limit.unit}{why}"
        elif value > limit.high:
            errors[limit.column] = f"At most {limit.high} {limit.unit}"
        else:
            values[limit.column] = value
    return values, errors


def save(label_id, values):
    """Store the label's limits (its row made on the first save); the caller commits."""
    row = row_of(label_id)
    if row is None:
        row = RetentionPolicy(label_id=label_id)
        db.session.add(row)
    for column, value in values.items():
        setattr(row, column, value)
    return row
