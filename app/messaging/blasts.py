"""Blasts: a message staff write to a segment of fans (app.messaging.segments), sent now or at
a time. Creating one puts a ledger row per fan and channel, due at its time; the send job
(app.jobs.messages) does the rest, as for every message. Staff may stop a blast while rows
wait (scheduled, or still going out)."""
from datetime import timedelta

from sqlalchemy import insert, update

from app import audit
from app.extensions import db
from app.localtime import now_utc
from app.messaging import segments
from app.models import Message, MessageRecipient
from app.models.message import BLAST, CANCELLED, QUEUED

CHUNK = 1000


def create(label_id, segment, name, subject, body, sms_body, send_at=None):
    """The blast and its rows (flushed, not committed); (message, rows queued)."""
    send_at = send_at or now_utc()
    release_id = segment.release_id if segment.presaved else None
    message = Message(label_id=label_id, artist_id=segment.artist_id, release_id=release_id,
                      kind=BLAST, name=name, subject=subject, body=body,
                      sms_body=sms_body or None, channels=" ".join(segment.channels),
                      segment=segment.as_json(), send_at=send_at)
    db.session.add(message)
    db.session.flush()
    queued = 0
    for channel in segment.channels:
        rows = []
        for fan_id, artist_id, fan_label_id in segments.members(segment, channel, CHUNK):
            rows.append(dict(message_id=message.id, fan_id=fan_id, label_id=fan_label_id,
                             artist_id=artist_id, release_id=release_id, channel=channel,
                             state=QUEUED, attempts=0, clicks=0, next_attempt_at=send_at,
                             created_at=now_utc(), updated_at=now_utc()))
            if len(rows) == CHUNK:
                queued += _insert(rows)
                rows = []
        queued += _insert(rows)
    later = send_at > now_utc() + timedelta(minutes=1)
    audit.record("blast.scheduled" if later else "blast.sent", label_id=label_id, object_type="message", object_id=message.id,
                 name=name, detail={"recipients": queued, "channels": list(segment.channels),
                                    "send_at": send_at.isoformat()})
    return message, queued


def stop(message, who):
    """The blast's rows still queued are cancelled, saying who stopped it; how many. Those a
    worker holds at this moment go out (they may be on the wire already)."""
    now = now_utc()
    stopped = db.session.execute(
        update(MessageRecipient).where(MessageRecipient.message_id == message.id,
                                       MessageRecipient.state == QUEUED)
        .values(state=CANCELLED, reason=f"not sent: {who} stopped the blast", updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    audit.record("blast.stopped", label_id=message.label_id, object_type="message",
                 object_id=message.id, name=message.name, detail={"not_sent": stopped})
    return stopped


def _insert(rows):
    if rows:
        # The fans came from a query in the tenant's scope: their rows need no second check
        # (which would load every fan again, one by one).
        db.session.execute(insert(MessageRecipient).execution_options(all_tenants=True), rows)
    return len(rows)
