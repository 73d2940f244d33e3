"""A fan's change for each of the label's connected tools that has an audience for the fan's
artist: joined (marketing email consent given), left (withdrawn, unsubscribed) or erased.
Written in the caller's transaction; its label's sync job is queued when that commits."""
from sqlalchemy import select

from app import after_commit
from app.crypto import keyring
from app.extensions import db
from app.localtime import now_utc
from app.models import AudienceChange, AudienceConnection
from app.models.audience import DELETE, PENDING

QUEUE = "webhooks"  # the label's outbound calls share one queue
SEND_JOB = "app.jobs.audience_sync.send"


def connections_for(fan):
    """The label's connections with an audience for the fan's artist."""
    found = db.session.scalars(select(AudienceConnection).where(
        AudienceConnection.label_id == fan.label_id,
        AudienceConnection.api_key_sealed.is_not(None))).all()
    return [c for c in found if c.list_for(fan.artist_id)]


def fan_changed(fan, action):
    """Queue ``action`` (upsert, unsubscribe, delete) for the fan at each connected tool; a
    deletion keeps the address sealed, as the fan's row is about to be emptied."""
    if not fan.email:
        return 0
    now = now_utc()
    made = 0
    for connection in connections_for(fan):
        change = AudienceChange(label_id=fan.label_id, connection_id=connection.id,
                                artist_id=fan.artist_id, fan_id=fan.id, action=action,
                                state=PENDING, attempts=0, next_attempt_at=now,
                                created_at=now, updated_at=now)
        db.session.add(change)
        if action == DELETE:
            db.session.flush()  # the seal is bound to the row's id
            change.seal_email(keyring(), fan.email)
        made += 1
    if made:
        after_commit.send_for(QUEUE, SEND_JOB, fan.label_id)
    return made
