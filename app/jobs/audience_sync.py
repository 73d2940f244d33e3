"""Fans into the label's email tools, and out again: each fan's change (app.audience_sync)
sent in batches through the tool's bulk endpoints, retried after Retry-After when the tool
is busy; and every night a reconciliation against what each audience holds, which brings home
an unsubscribe made at the tool and puts right what drifted.

Only fans with a live marketing email consent are added; what is sent is read when it goes
(the fan may have withdrawn meanwhile). A refused key stops the connection's changes and says
so to staff (Account → Email tools); they wait there until the key works again.
"""
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from sqlalchemy import select

from app.crypto import keyring
from app.extensions import db
from app.integrations import klaviyo, mailchimp
from app.integrations.audiences import Member, SyncError
from app.jobs.leases import Leases
from app.jobs.runtime import tenant_job
from app.localtime import now_utc
from app.messaging import suppression
from app.models import (AudienceChange, AudienceConnection, Consent, Fan, FanSource, PreSave,
                        Release)
from app.models.audience import DELETE, DONE, FAILED, PENDING, UNSUBSCRIBE, UPSERT
from app.models.fan import EMAIL_MARKETING
from app.models.message import EMAIL
from app.audience_sync.changes import QUEUE, SEND_JOB

BATCH = 500
MAX_ATTEMPTS = 8
BACKOFF = timedelta(seconds=30)  # doubled at each attempt, unless the tool says how long
LEASES = Leases(AudienceChange, PENDING)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tool:
    """One email tool's calls, in the same shape."""
    upsert: Callable
    unsubscribe: Callable
    delete: Callable  # (key, list id, email)
    subscribed: Callable  # (key, list id) -> {email (lower case): subscribed?}
    prepare: Callable  # (key, list id): what the audience needs before members arrive


TOOLS = {
    "mailchimp": Tool(mailchimp.upsert, mailchimp.unsubscribe, mailchimp.delete_permanently,
                      lambda key, list_id: {email.lower(): status == "subscribed" for email, status
                                            in mailchimp.members(key, list_id)},
                      mailchimp.ensure_merge_fields),
    "klaviyo": Tool(klaviyo.upsert, klaviyo.unsubscribe,
                    lambda key, list_id, email: klaviyo.delete_permanently(key, email),
                    lambda key, list_id: {email.lower(): yes for email, yes
                                          in klaviyo.members(key, list_id)},
                    lambda key, list_id: None),
}


@tenant_job
def send(label_id):
    """Send the label's due changes, a batch per connection, audience and action."""
    done = 0
    for token, ids in LEASES.claimed_batches(label_id, BATCH):
        rows = db.session.scalars(select(AudienceChange).where(AudienceChange.id.in_(ids))).all()
        groups = {}
        for row in rows:
            key = (row.connection_id, row.connection.list_for(row.artist_id), row.action)
            groups.setdefault(key, []).append(row)
        for (_, list_id, action), group in groups.items():
            _send_group(group[0].connection, list_id, action, group, token)
            db.session.commit()
            done += len(group)
    return done


def _send_group(connection, list_id, action, rows, token):
    ids = [row.id for row in rows]
    ring, tool = keyring(), TOOLS[connection.provider]
    api_key = connection.key(ring)
    if api_key is None or list_id is None:
        LEASES.settle_many(ids, token, state=FAILED,
                           last_error="the tool or this artist's audience is no longer set up")
        return
    try:
        if action == DELETE:
            for row in rows:
                tool.delete(api_key, list_id, row.email(ring))
            LEASES.settle_many(ids, token, state=DONE, email_sealed=None, last_error=None)
            return
        fans = _fans([row.fan_id for row in rows])
        if action == UPSERT:
            members = [_member(fan) for fan in fans if _consented(fan)]
            if members:
                tool.prepare(api_key, list_id)
                tool.upsert(api_key, list_id, members)
        elif action == UNSUBSCRIBE:
            emails = [fan.email for fan in fans if fan.email and not _consented(fan)]
            if emails:
                tool.unsubscribe(api_key, list_id, emails)
    except SyncError as exc:
        _refused(connection, rows, token, exc)
        return
    connection.last_error = None
    LEASES.settle_many(ids, token, state=DONE, last_error=None)


def _refused(connection, rows, token, exc):
    ids, attempts = [row.id for row in rows], max(row.attempts for row in rows) + 1
    if exc.auth:
        connection.last_error = f"{connection.name} refused the API key: {exc}"[:300]
    if not exc.retryable or attempts >= MAX_ATTEMPTS:
        LEASES.settle_many(ids, token, state=FAILED, attempts=attempts,
                           last_error=str(exc)[:300])
        return
    wait = timedelta(seconds=exc.retry_after) if exc.retry_after else \
        BACKOFF * 2 ** (attempts - 1)
    LEASES.settle_many(ids, token, state=PENDING, attempts=attempts, last_error=str(exc)[:300],
                       next_attempt_at=now_utc() + wait)


def _fans(ids):
    return db.session.scalars(select(Fan).where(Fan.id.in_([i for i in ids if i]))).all()


def _consented(fan):
    return bool(fan.email) and fan.erased_at is None and any(
        c.purpose == EMAIL_MARKETING and c.withdrawn_at is None for c in fan.consents)


def _member(fan):
    """The fan as the tools keep them: name, country, the artist, their latest pre-save's
    release and platform, where they first came from, and tags."""
    first, _, last = (fan.name or "").partition(" ")
    latest = db.session.execute(
        select(Release.title, PreSave.platform).join(Release, Release.id == PreSave.release_id)
        .where(PreSave.fan_id == fan.id).order_by(PreSave.id.desc()).limit(1)).first()
    source = db.session.scalar(select(FanSource).where(FanSource.fan_id == fan.id))
    came = source and (source.utm_source or source.referrer)
    platform = latest.platform if latest else None
    return Member(email=fan.email, first_name=first or None, last_name=last or None,
                  country=fan.country, phone=fan.phone, artist=fan.artist.name,
                  release=latest.title if latest else None, platform=platform,
                  source=came or None,
                  tags=tuple(t for t in ("presave", fan.artist.slug, platform) if t))


@tenant_job
def sweep(label_id=None):
    """The minute cron: the sync job of every label with a due change."""
    return LEASES.sweep(QUEUE, SEND_JOB)


@tenant_job
def reconcile(label_id=None):
    """Every night: each connected audience against the artist's fans. A fan who agreed and
    is missing is added; a fan who withdrew and is still subscribed is unsubscribed; a fan
    who agreed but unsubscribed at the tool has that brought home (their consent withdrawn).
    Contacts the label keeps there that are not its fans here are left alone. Counts."""
    counts = {"added": 0, "unsubscribed": 0, "brought_home": 0, "failed": 0}
    stmt = select(AudienceConnection).where(AudienceConnection.api_key_sealed.is_not(None))
    if label_id is not None:
        stmt = stmt.where(AudienceConnection.label_id == label_id)
    for connection in db.session.scalars(stmt).all():
        for artist_id, list_id in (connection.lists or {}).items():
            try:
                found = _reconcile_list(connection, int(artist_id), list_id)
            except SyncError as exc:
                connection.last_error = f"Nightly check: {exc}"[:300]
                counts["failed"] += 1
            else:
                for name, n in found.items():
                    counts[name] += n
        connection.reconciled_at = now_utc()
        db.session.commit()
    return counts


def _reconcile_list(connection, artist_id, list_id):
    tool, api_key = TOOLS[connection.provider], connection.key(keyring())
    there = tool.subscribed(api_key, list_id)
    fans = db.session.scalars(select(Fan).join(Consent, Consent.fan_id == Fan.id).where(
        Fan.artist_id == artist_id, Fan.email.is_not(None), Fan.erased_at.is_(None),
        Consent.purpose == EMAIL_MARKETING).distinct()).all()
    add, leave, home = [], [], []
    for fan in fans:
        state = there.get(fan.email.lower())
        if _consented(fan):
            if state is None:
                add.append(fan)
            elif state is False:
                home.append(fan)
        elif state:
            leave.append(fan.email)
    for fan in home:
        suppression.withdraw_channel(fan, EMAIL, f"unsubscribed in {connection.name}")
    if add:
        tool.prepare(api_key, list_id)
        tool.upsert(api_key, list_id, [_member(fan) for fan in add])
    if leave:
        tool.unsubscribe(api_key, list_id, leave)
    return {"added": len(add), "unsubscribed": len(leave), "brought_home": len(home)}
