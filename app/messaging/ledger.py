"""The messages' ledger as staff read it: counts per message and per release, one message's
recipients page by page, and its CSV. Every query is the ORM's, so the tenant scope applies."""
from sqlalchemy import func, select

from app.extensions import db
from app.models import Fan, Message, MessageRecipient
from app.models.message import (BOUNCED, CANCELLED, FAILED, IN_PROGRESS, QUEUED, SENT,
                                SUPPRESSED)

# In the order a bar shows them; in progress reads as queued (a worker holds it a moment).
SHOWN_STATES = [SENT, QUEUED, FAILED, BOUNCED, SUPPRESSED, CANCELLED]
STATE_LABELS = {SENT: "Sent", QUEUED: "Queued", FAILED: "Failed", BOUNCED: "Bounced",
                SUPPRESSED: "Suppressed", CANCELLED: "Cancelled"}
PAGE_SIZE = 50


def shown(state):
    return QUEUED if state == IN_PROGRESS else state


def counts(message_ids):
    """{message id: {state: count}} over SHOWN_STATES (zeros included)."""
    found = {mid: dict.fromkeys(SHOWN_STATES, 0) for mid in message_ids}
    if not message_ids:
        return found
    rows = db.session.execute(
        select(MessageRecipient.message_id, MessageRecipient.state, func.count())
        .where(MessageRecipient.message_id.in_(message_ids))
        .group_by(MessageRecipient.message_id, MessageRecipient.state))
    for message_id, state, count in rows:
        found[message_id][shown(state)] += count
    return found


def clicked(message_ids):
    """{message id: recipients who followed one of its links at least once}."""
    if not message_ids:
        return {}
    return dict(db.session.execute(
        select(MessageRecipient.message_id, func.count())
        .where(MessageRecipient.message_id.in_(message_ids), MessageRecipient.clicks > 0)
        .group_by(MessageRecipient.message_id)).all())


def messages(release_id=None, kind=None, page=1, size=200):
    """(the newest messages first, how many in all): a release's only, or one kind's, when
    given; ``page`` of ``size``."""
    where = []
    if release_id is not None:
        where.append(Message.release_id == release_id)
    if kind is not None:
        where.append(Message.kind == kind)
    total = db.session.scalar(select(func.count()).select_from(Message).where(*where))
    found = db.session.scalars(
        select(Message).where(*where).order_by(Message.created_at.desc(), Message.id.desc())
        .limit(size).offset((max(page, 1) - 1) * size)).all()
    return found, total


def recipients(message_id, state=None, page=1):
    """(rows with their fans, total) of one message, newest first."""
    where = [MessageRecipient.message_id == message_id]
    if state == QUEUED:
        where.append(MessageRecipient.state.in_((QUEUED, IN_PROGRESS)))
    elif state:
        where.append(MessageRecipient.state == state)
    total = db.session.scalar(select(func.count()).select_from(MessageRecipient).where(*where))
    rows = db.session.execute(
        select(MessageRecipient, Fan).join(Fan, MessageRecipient.fan_id == Fan.id)
        .where(*where).order_by(MessageRecipient.id.desc())
        .limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)).all()
    return rows, total


CSV_COLUMNS = [("fan", "Fan"), ("address", "Address"), ("channel", "Channel"),
               ("state", "State"), ("reason", "Why"), ("attempts", "Attempts"),
               ("sent_at", "Sent (UTC)"), ("language", "Language"), ("clicks", "Clicks"),
               ("updated_at", "Last change (UTC)")]


def csv_entries(message_id):
    """Every recipient of one message as CSV entries (an erased fan reads as such)."""
    stmt = (select(MessageRecipient, Fan).join(Fan, MessageRecipient.fan_id == Fan.id)
            .where(MessageRecipient.message_id == message_id).order_by(MessageRecipient.id))
    for row, fan in db.session.execute(stmt).yield_per(500):
        yield {"fan": repr(fan), "address": (fan.email if row.channel == "email" else fan.phone),
               "channel": row.channel, "state": STATE_LABELS[shown(row.state)],
               "reason": row.reason, "attempts": row.attempts, "sent_at": row.sent_at,
               "language": row.language,
               "clicks": row.clicks or 0, "updated_at": row.updated_at}
