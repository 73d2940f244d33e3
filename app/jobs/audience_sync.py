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
from app.models import (Artist, AudienceChange, AudienceConnection, Consent, Fan, FanSource,
                        PreSave, Release)
from app.models.audience import DELETE, DONE, FAILED, PENDING, UNSUBSCRIBE, UPSERT
from app.models.presave import IN_PROGRESS
from app.models.fan import EMAIL_MARKETING
from app.models.message import EMAIL
from app.audience_sync.changes import QUEUE, SEND_JOB

BATCH = 500
MAX_ATTEMPTS = 8
BACKOFF = timedelta(seconds=30)  # doubled at each attempt, unless the tool says how long
LEASES = Leases(AudienceChange, PENDING)
log = logging.getLogger(__name__)


SUBSCRIBED = "subscribed"
UNSUBSCRIBED = "unsubscribed"


@dataclass(frozen=True)
class Tool:
    """One email tool's calls, in the same shape."""
    upsert: Callable
    unsubscribe: Callable
    delete: Callable  # (key, list id, email)
    states: Callable  # (key, list id) -> {email (lower case): SUBSCRIBED, UNSUBSCRIBED or other}
    prepare: Callable  # (key, list id): what the audience needs before members arrive


TOOLS = {
    "mailchimp": Tool(mailchimp.upsert, mailchimp.unsubscribe, mailchimp.delete_permanently,
                      lambda key, list_id: {email.lower(): status for email, status
                                            in mailchimp.members(key, list_id)},
                      mailchimp.ensure_merge_fields),
    # Klaviyo's consent covers the whole account: "not subscribed" there may be another
    # artist's withdrawal, so it is never read as this fan's unsubscribe.
    "klaviyo": Tool(klaviyo.upsert, klaviyo.unsubscribe,
                    lambda key, list_id, email: klaviyo.delete_permanently(key, email),
                    lambda key, list_id: {email.lower(): SUBSCRIBED if yes else "not subscribed"
                                          for email, yes in klaviyo.members(key, list_id)},
                    lambda key, list_id: None),
}
MAX_WAIT = timedelta(hours=6)


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
    refused = {}
    try:
        if action == DELETE:
            for row in rows:
                tool.delete(api_key, list_id, row.email(ring))
        elif action == UPSERT:
            refused = _join(tool, api_key, list_id, rows)
        elif action == UNSUBSCRIBE:
            emails = _leaving(rows, ring)
            if emails:
                tool.unsubscribe(api_key, list_id, emails)
    except SyncError as exc:
        _refused(connection, rows, token, exc, action)
        return
    connection.last_error = None
    done = [row.id for row in rows if row.id not in refused]
    LEASES.settle_many(done, token, state=DONE, email_sealed=None, last_error=None)
    for row_id, why in refused.items():
        LEASES.settle_many([row_id], token, state=FAILED, last_error=why[:300])


def _join(tool, api_key, list_id, rows):
    """Upsert the rows' fans who still agree; {row id: the tool's refusal} of those it
    refused (Mailchimp keeps the rest of a batch)."""
    fans = {fan.id: fan for fan in _fans([row.fan_id for row in rows])}
    joining = [fan for fan in fans.values() if _consented(fan)]
    if not joining:
        return {}
    tool.prepare(api_key, list_id)
    answer = tool.upsert(api_key, list_id, [_member(fan) for fan in joining]) or {}
    said = {(e.get("email") or "").lower(): e.get("message") or "refused"
            for e in answer.get("errors") or []}
    return {row.id: said[fans[row.fan_id].email.lower()] for row in rows
            if row.fan_id in fans and fans[row.fan_id].email
            and fans[row.fan_id].email.lower() in said}


def _leaving(rows, ring):
    """The addresses to unsubscribe: an address the fan no longer has (sealed in its row),
    or the fan's own where they no longer agree."""
    fans = _fans([row.fan_id for row in rows if not row.email_sealed])
    sealed = [row.email(ring) for row in rows if row.email_sealed]
    own = [fan.email for fan in fans if fan.email and not _consented(fan)]
    return sorted(set(sealed + own))


def _refused(connection, rows, token, exc, action):
    """A refusal: retried after Retry-After or a doubling wait. A deletion is never given up
    while the tool may yet take it (a key to fix, an outage): an erasure must reach it."""
    ids, attempts = [row.id for row in rows], max(row.attempts for row in rows) + 1
    if exc.auth:
        connection.last_error = f"{connection.name} refused the API key: {exc}"[:300]
    keeps_trying = action == DELETE and (exc.retryable or exc.auth)
    if not keeps_trying and (not exc.retryable or attempts >= MAX_ATTEMPTS):
        LEASES.settle_many(ids, token, state=FAILED, attempts=attempts,
                           last_error=str(exc)[:300])
        return
    wait = timedelta(seconds=exc.retry_after) if exc.retry_after else \
        min(BACKOFF * 2 ** min(attempts - 1, 12), MAX_WAIT)
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
    who agreed but unsubscribed at Mailchimp has that brought home (their marketing email
    consent withdrawn). Contacts the label keeps there that are not its fans here, and fans
    with a change still on its way, are left alone. Counts."""
    counts = {"added": 0, "unsubscribed": 0, "brought_home": 0, "failed": 0}
    stmt = select(AudienceConnection).where(AudienceConnection.api_key_sealed.is_not(None))
    if label_id is not None:
        stmt = stmt.where(AudienceConnection.label_id == label_id)
    for connection in db.session.scalars(stmt).all():
        _forget_gone_artists(connection)
        for artist_id, list_id in connection.lists.items():
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


def _forget_gone_artists(connection):
    """Only the connection's own label's artists keep an audience (an artist deleted since
    could share its id with another label's artist, on a database that reuses ids)."""
    ids = [int(key) for key in (connection.lists or {}) if key.isdecimal()]
    own = set(db.session.scalars(select(Artist.id).where(
        Artist.id.in_(ids), Artist.label_id == connection.label_id)))
    kept = {key: value for key, value in (connection.lists or {}).items()
            if key.isdecimal() and int(key) in own}
    if kept != connection.lists:
        connection.lists = kept


def _reconcile_list(connection, artist_id, list_id):
    tool, api_key = TOOLS[connection.provider], connection.key(keyring())
    there = tool.states(api_key, list_id)
    waiting = set(db.session.scalars(select(AudienceChange.fan_id).where(
        AudienceChange.connection_id == connection.id,
        AudienceChange.state.in_([PENDING, IN_PROGRESS]))))
    fans = db.session.scalars(select(Fan).join(Consent, Consent.fan_id == Fan.id).where(
        Fan.label_id == connection.label_id, Fan.artist_id == artist_id,
        Fan.email.is_not(None), Fan.erased_at.is_(None),
        Consent.purpose == EMAIL_MARKETING).distinct()).all()
    add, leave, home = [], [], []
    for fan in fans:
        if fan.id in waiting:
            continue
        state = there.get(fan.email.lower())
        if _consented(fan):
            if state is None:
                add.append(fan)
            elif state == UNSUBSCRIBED and connection.provider == "mailchimp":
                home.append(fan)
        elif state == SUBSCRIBED:
            leave.append(fan.email)
    for fan in home:
        _bring_home(fan, connection)
    if add:
        tool.prepare(api_key, list_id)
        tool.upsert(api_key, list_id, [_member(fan) for fan in add])
    if leave:
        tool.unsubscribe(api_key, list_id, leave)
    return {"added": len(add), "unsubscribed": len(leave), "brought_home": len(home)}


def _bring_home(fan, connection):
    """The fan unsubscribed in the tool itself: their marketing email consent is withdrawn
    here too (the release's own reminders stay), and the label's endpoints hear of it."""
    via = f"unsubscribed in {connection.name}"
    for consent in fan.consents:
        if consent.purpose == EMAIL_MARKETING and consent.withdrawn_at is None:
            consent.withdrawn_at, consent.withdrawn_via = now_utc(), via
    suppression.announce(fan, EMAIL, via, [EMAIL_MARKETING])
