"""Messages to fans go out: each recipient a ledger row, leased in batches like release day's
pre-saves (app.jobs.leases), checked again when its time comes, sent, and marked.

send_batch(label_id, message_id) leases due rows of one message and handles them one at a
time. Before a send it looks again: a fan erased or without the consent is cancelled, an
address on the artist's suppression list is suppressed, an SMS in the fan's quiet hours
waits until 08:00 there, and an automation claims the fan's one message about the release
for the day (another automation that day is cancelled). The row is marked right after the
send, under its lease: a worker that dies between the two causes that one message to go at
most once more, never to be lost. A hard bounce suppresses the address.

enqueue_due(now) is the minute reconciler's: a batch for each message with rows due.
"""
import logging
import math
import time
from datetime import datetime, timedelta, time as clock

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import languages, metrics
from app.extensions import db
from app.jobs import pacing, schedule, throttle
from app.jobs.leases import Leases
from app.jobs.runtime import tenant_job
from app.localtime import now_utc, to_utc, zone
from app.languages import gettext as _
from app.messaging import Bounced, NotConfigured, Unavailable, automations, suppression, tracking
from app.messaging.automations import consented, contact
from app.messaging.compose import compose
from app.messaging.outbox import Outbox
from app.messaging.reminder import fan_me_url
from app.messaging.templates import TemplateProblem
from app.messaging.twilio import StoppedNumber
from app.messaging.unsubscribe import link as unsubscribe_link
from app.models import (Authorization, AutomationDay, Fan, Message, MessageRecipient,
                        OpeningNotice, PreSave, Release)
from app.models.authorization import ACTIVE
from app.models.message import (BLAST, BOUNCED, CANCELLED, EMAIL, FAILED, HARD_BOUNCE,
                                IN_PROGRESS, ITS_OUT, OPENS, QUEUED, RECONSENT, SENT, SMS,
                                STOPPED, SUPPRESSED, THANK_YOU)
from app.models.opening_notice import (CANCELLED as NOTICE_CANCELLED, FAILED as NOTICE_FAILED,
                                       PENDING as NOTICE_PENDING, SENT as NOTICE_SENT)
from app.models.presave import (CANCELLED as PRESAVE_CANCELLED, DELIVERED, FAILED as
                                PRESAVE_FAILED, IN_PROGRESS as PRESAVE_IN_PROGRESS, PENDING,
                                REMIND, SAVE)
from app.presaves.record import delivery_instant, grant_outlives
from app.platform_table import name as platform_name
from app.releases.rules import artwork_url, fan_page_url

log = logging.getLogger(__name__)

QUEUE = "messages"
RECIPIENTS = Leases(MessageRecipient, QUEUED)
BATCH_SIZE = 100
PARALLEL, BATCHES_EVERY = 8, 1000  # batches a message is given at once: one per 1000 rows due
DEADLINE = 200  # seconds into a batch after which no message starts (the lease lasts 300)
SEND_MARGIN = timedelta(seconds=60)  # a lease with less left than this sends nothing more
NOT_CONFIGURED_WAIT = timedelta(hours=1)
QUIET_FROM, QUIET_UNTIL = 21, 8  # no SMS from 21:00 to 08:00 in the fan's zone
SAVES_WAIT, SAVES_PATIENCE = timedelta(minutes=2), timedelta(minutes=30)


def enqueue_due(now):
    """Batches for every message with rows due (a lost job, a retry, a thank-you's delay)."""
    due = db.session.execute(
        select(MessageRecipient.label_id, MessageRecipient.message_id, func.count())
        .where(RECIPIENTS.due(now))
        .group_by(MessageRecipient.label_id, MessageRecipient.message_id)).all()
    for label_id, message_id, count in due:
        put(label_id, message_id, now, count)
    return len(due)


def put(label_id, message_id, now=None, due=None):
    """Batches of the message now: one per BATCHES_EVERY rows due (``due``: counted when not
    given), at most PARALLEL, so several workers share a blast. Ids are per message, minute
    and number: not again while one of the same waits or runs; result_ttl=0 frees an id as
    soon as its batch is done."""
    now = now or now_utc()
    if due is None:
        due = db.session.scalar(select(func.count()).select_from(MessageRecipient).where(
            MessageRecipient.message_id == message_id, RECIPIENTS.due(now)))
    for n in range(max(1, min(PARALLEL, math.ceil(due / BATCHES_EVERY)))):
        schedule.put(QUEUE, send_batch, label_id, message_id, result_ttl=0,
                     job_id=f"message-{message_id}-{schedule.minute_of(now)}-{n}")


def put_at(label_id, message_id, at):
    """A batch of the message at ``at`` (once per message and minute); the reconciler adds
    more when many rows are due then."""
    schedule.put(QUEUE, send_batch, label_id, message_id, at=at, result_ttl=0,
                 job_id=f"message-{message_id}-at-{schedule.minute_of(at)}")


@tenant_job
def send_batch(label_id, message_id, batch_size=BATCH_SIZE):
    """Lease due rows of the message, ``batch_size`` at a time, and send each lease's at once
    (emails over SMTP_CONCURRENCY connections), until none is due or the batch has run
    DEADLINE seconds. Counts by outcome."""
    deadline, counts = time.monotonic() + DEADLINE, {}
    # The rows are ours under their lease: a commit need not make the session read them again
    # (every write is conditional on the lease; each lease's rows are loaded afresh).
    db.session().expire_on_commit = False
    with Outbox(current_app.config) as outbox:
        while time.monotonic() < deadline:
            token, ids, _more = RECIPIENTS.claim([MessageRecipient.message_id == message_id],
                                                 batch_size)
            db.session.commit()
            if not ids:
                break
            for kind in _send_leased(ids, token, outbox, deadline):
                counts[kind] = counts.get(kind, 0) + 1
            db.session.commit()
            if counts.get("not_configured") or counts.get("out_of_turn"):
                break  # the channel is down, or full, for everyone: the rows wait their time
    if counts:
        log.info("message %s: %s", message_id, counts)
    return counts


def _send_leased(ids, token, outbox, deadline):
    """Check the leased rows, send those that may go (all at once), mark each; the outcomes'
    names. What is decided before sending is committed first, so the claims on the day stand
    before a message goes; each outcome is written under the lease right after the sends."""
    rows = _leased(ids, token)
    yield from ["lease_lost"] * (len(ids) - len(rows))
    listed = suppression.listed((row.artist_id, row.channel, contact(row.fan, row.channel))
                                for row in rows)
    written = []
    for row in rows:
        decided = _before_sending(row, deadline, listed)
        if decided is not None:
            yield _settle(row, token, *decided[:2], **decided[2])
            continue
        try:
            written.append((row, compose_for(row)))
        except TemplateProblem as exc:
            yield _settle(row, token, FAILED, reason=str(exc))
    db.session.commit()
    answers = pacing.send(outbox, [message for _row, message in written], deadline,
                          current_app.config)
    sent = [(row, answer) for (row, _message), answer in zip(written, answers)
            if not isinstance(answer, Exception)]
    yield from _settle_sent(sent, token)
    for (row, _message), answer in zip(written, answers):
        if isinstance(answer, Exception):
            yield _outcome(row, token, answer)


def _settle_sent(sent, token):
    """The sent rows, each with its provider's id, marked in one statement (a blast's lease is
    mostly these); a row an automation hands on (It's out, Pre-save opens) takes the usual
    path, which also settles what waits for it."""
    plain = [(row, answer) for row, answer in sent if row.message.kind not in (ITS_OUT, OPENS)]
    now = now_utc()
    written = RECIPIENTS.settle_each(token, [
        {"id": row.id, "state": SENT, "sent_at": now, "provider_id": answer,
         "language": spoken_by(row.fan).code, "attempts": (row.attempts or 0) + 1,
         "reason": None, "updated_at": now}
        for row, answer in plain])
    ends = [SENT] * written + ["lease_lost"] * (len(plain) - written)
    metrics.messages_settled([row.channel for row, _answer in plain], ends)
    yield from ends
    for row, answer in sent:
        if row.message.kind in (ITS_OUT, OPENS):
            yield _settle(row, token, SENT, provider_id=answer)


def _leased(ids, token):
    """The rows still ours, with what the checks and the words need, in a few queries."""
    return db.session.scalars(
        select(MessageRecipient).where(
            MessageRecipient.id.in_(ids), MessageRecipient.state == IN_PROGRESS,
            MessageRecipient.lease_token == token,
            MessageRecipient.leased_until > now_utc() + SEND_MARGIN)
        .options(selectinload(MessageRecipient.fan).selectinload(Fan.consents),
                 selectinload(MessageRecipient.message).selectinload(Message.artist),
                 selectinload(MessageRecipient.release).selectinload(Release.artist))
        .order_by(MessageRecipient.id)
        .execution_options(populate_existing=True)).all()


def _before_sending(row, deadline, listed):
    """(outcome, reason, options) when the row is settled without sending, else None;
    ``listed``: the batch's addresses on their artists' suppression lists."""
    if time.monotonic() > deadline:
        return "retry", "batch ran out of time", {"at": now_utc(), "counts": False}
    refused = _refusal(row, listed)
    if refused is not None:
        return *refused, {}
    if _saves_settling(row):
        return "retry", "waiting for the fan's pre-save to reach their library", {
            "at": now_utc() + SAVES_WAIT, "counts": False}
    wait = _quiet_hours(row)
    if wait is not None:
        return "retry", "waiting for 08:00 in the fan's time zone (no texts at night)", {
            "at": wait, "counts": False}
    if not _claim_the_day(row):
        return CANCELLED, "the fan already got a message about this release today", {}
    return None


def _refusal(row, listed):
    """(state, reason) when the row must not be sent, else None."""
    fan, message = row.fan, row.message
    if fan.erased_at is not None:
        return CANCELLED, "not sent: the fan erased their data"
    if message.kind == THANK_YOU and row.release is not None \
            and delivery_instant(row.release, fan.timezone) <= now_utc():
        return CANCELLED, "not sent: the release is out, and its It's out message says so"
    if message.kind == RECONSENT and not _still_expires(row):
        return CANCELLED, "not sent: the fan's permission already lasts until the release"
    if not consented(fan, message.kind, row.channel):
        return CANCELLED, "not sent: the fan has no consent for this (withdrawn or never given)"
    address = contact(fan, row.channel)
    if not address:
        return CANCELLED, f"not sent: the fan left no {'phone' if row.channel == SMS else 'email'}"
    why = listed.get((row.artist_id, row.channel, address))
    if why:
        return SUPPRESSED, f"not sent: the address is on the artist's suppression list ({why})"
    return None


def _still_expires(row):
    """Whether the fan's grant on the row's platform still ends before the release."""
    grant = db.session.scalars(select(Authorization).where(
        Authorization.fan_id == row.fan_id, Authorization.platform == row.platform,
        Authorization.state == ACTIVE)).first()
    return grant is not None and row.release is not None \
        and not grant_outlives(row.platform, grant.granted_at, row.release)


def _saves_settling(row):
    """An It's out whose fan's saves are still on their way (release day is running): it waits
    a little, so it can say the release is in their library; not past SAVES_PATIENCE."""
    if row.message.kind != ITS_OUT or row.created_at + SAVES_PATIENCE < now_utc():
        return False
    return db.session.scalar(select(PreSave.id).where(
        PreSave.release_id == row.release_id, PreSave.fan_id == row.fan_id,
        PreSave.action == SAVE, PreSave.state.in_((PENDING, PRESAVE_IN_PROGRESS)),
        PreSave.attempts == 0).limit(1)) is not None


def _quiet_hours(row):
    """For an SMS at night in the fan's zone (else the release's, else UTC): the next 08:00
    there, as a UTC instant; None when it may go now."""
    if row.channel != SMS:
        return None
    name = row.fan.timezone or (row.release.timezone if row.release else None) or "UTC"
    try:
        tz = zone(name)
    except ValueError:
        name, tz = "UTC", zone("UTC")
    local = now_utc().astimezone(tz)
    if QUIET_UNTIL <= local.hour < QUIET_FROM:
        return None
    day = local.date() if local.hour < QUIET_UNTIL else local.date() + timedelta(days=1)
    return to_utc(datetime.combine(day, clock(QUIET_UNTIL)), name).utc


def _claim_the_day(row):
    """An automation's claim on the fan's one message about its release today (the fan's
    day); True when this row holds it (a re-run after a crash holds it already). The batch
    commits the claims before anything is sent."""
    if row.message.kind == BLAST or row.release_id is None:
        return True
    day = _fan_day(row)
    try:
        with db.session.begin_nested():
            db.session.add(AutomationDay(label_id=row.label_id, artist_id=row.artist_id,
                                         fan_id=row.fan_id, release_id=row.release_id,
                                         day=day, recipient_id=row.id))
    except IntegrityError:
        holder = db.session.scalar(select(AutomationDay.recipient_id).where(
            AutomationDay.fan_id == row.fan_id, AutomationDay.release_id == row.release_id,
            AutomationDay.day == day))
        return holder == row.id
    return True


def _fan_day(row):
    name = row.fan.timezone or row.release.timezone
    try:
        return now_utc().astimezone(zone(name)).date().isoformat()
    except ValueError:
        return now_utc().date().isoformat()


def _release_claim(row):
    db.session.execute(delete(AutomationDay).where(AutomationDay.recipient_id == row.id)
                       .execution_options(synchronize_session=False))


def _outcome(row, token, answer):
    """Write what the provider answered: its message id, or the MessagingError that says why
    not (a channel not set up waits an hour, a hard bounce or a STOP suppresses the address)."""
    if not isinstance(answer, Exception):
        return _settle(row, token, SENT, provider_id=answer)
    if isinstance(answer, pacing.OutOfTurn):
        _release_claim(row)
        settled = _settle(row, token, "retry", reason=str(answer), counts=False,
                          at=now_utc() + timedelta(seconds=answer.wait))
        return "out_of_turn" if settled != "lease_lost" else settled
    if isinstance(answer, NotConfigured):
        _release_claim(row)
        _settle(row, token, "retry", reason=str(answer), at=now_utc() + NOT_CONFIGURED_WAIT,
                counts=False)
        return "not_configured"
    if isinstance(answer, (Bounced, StoppedNumber)):
        suppression.suppress(row.fan, row.channel, contact(row.fan, row.channel),
                             HARD_BOUNCE if isinstance(answer, Bounced) else STOPPED)
        return _settle(row, token, BOUNCED if isinstance(answer, Bounced) else SUPPRESSED,
                       reason=str(answer))
    if isinstance(answer, Unavailable):
        _release_claim(row)
        return _settle(row, token, "retry", reason=str(answer))
    return _settle(row, token, FAILED, reason=str(answer))


def compose_for(row):
    """The row's message, written out for its fan in the language they signed up in (also
    the preview's and the test send's)."""
    message, fan, release = row.message, row.fan, row.release
    artist = message.artist or fan.artist
    spoken = spoken_by(fan)
    with languages.speaking(spoken):
        page = fan_page_url(release) if release is not None else None
        saved = _saved_on(row) if message.kind == ITS_OUT else None
        fields = merge_fields(artist, release, fan, saved or row.platform, page,
                              unsubscribe_link(artist, row.id),
                              in_library=saved is not None)
        if release is not None and row.channel == EMAIL:  # texts keep their links short
            fields["fan_page_url"] = tracking.link(artist, row.id, tracking.PAGE)
            fields["stream_url"] = tracking.link(artist, row.id, tracking.STREAM)
        action = None
        if release is not None:
            action = ((_("Listen now"), fields["stream_url"]) if message.kind == ITS_OUT
                      else (_("Open the page"), fields["fan_page_url"]))
        return compose(message, row.channel, contact(fan, row.channel), fields,
                       artwork=_absolute(artwork_url(release)) if release is not None else None,
                       me_url=fan_me_url(artist), action=action,
                       words=automations.words_for(message, spoken))


def spoken_by(fan):
    """The Language a fan's messages speak: the one they signed up in, while it is offered."""
    return languages.find(fan.language) or languages.english()


def _saved_on(row):
    """The platform whose library the release reached for this fan, or None."""
    return db.session.scalar(select(PreSave.platform).where(
        PreSave.release_id == row.release_id, PreSave.fan_id == row.fan_id,
        PreSave.action == SAVE, PreSave.state == DELIVERED).order_by(PreSave.id).limit(1))


def merge_fields(artist, release, fan, platform, page, unsubscribe_url, in_library=False):
    """The values every template may use, for one fan."""
    first = (fan.name or "").split()[0] if (fan.name or "").strip() else ""
    return {
        "fan_first_name": first,
        "artist_name": artist.name,
        "release_title": release.title if release is not None else "",
        "release_date_local": (languages.moment(release.release_local, release.timezone)
                               if release is not None else ""),
        "fan_page_url": page or "",
        "stream_url": f"{page}/go/{platform}" if page and platform else (page or ""),
        "platform_name": platform_name(platform) if platform else _("your streaming service"),
        "unsubscribe_url": unsubscribe_url,
        "in_library": in_library,
    }


def _absolute(path):
    if not path:
        return None
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def _settle(row, token, outcome, reason=None, provider_id=None, at=None, counts=True):
    """Write the row's outcome under its lease; the outcome's name (lease_lost when another
    worker holds the row now)."""
    now = now_utc()
    attempts = (row.attempts or 0) + (1 if counts else 0)
    if outcome == "retry":
        if attempts >= throttle.MAX_ATTEMPTS:
            outcome, reason = FAILED, f"gave up after {attempts} attempts: {reason}"
            values = dict(state=FAILED, attempts=attempts, reason=reason)
        else:
            values = dict(state=QUEUED, attempts=attempts, reason=reason,
                          next_attempt_at=at or now + timedelta(
                              seconds=throttle.backoff(attempts)))
    else:
        values = dict(state=outcome, attempts=attempts, reason=reason)
        if outcome == SENT:
            values.update(sent_at=now, provider_id=provider_id,
                          language=spoken_by(row.fan).code)
    written = RECIPIENTS.settle_many([row.id], token, updated_at=now, **values)
    metrics.messages_settled([row.channel], [outcome if written else "lease_lost"])
    if not written:
        return "lease_lost"
    if row.message.kind == ITS_OUT:
        _settle_reminders(row, values, now)
    elif row.message.kind == OPENS:
        _settle_opening_ask(row, values, now)
    return outcome


def _settle_opening_ask(row, values, now):
    """The fan's "tell me when pre-save opens" ask takes its message's outcome: sent, failed or
    cancelled with why, or pending with the reason and the time it waits for."""
    state = values["state"]
    changes = dict(last_error=values.get("reason"), attempts=values["attempts"])
    if state == QUEUED:
        changes.update(next_attempt_at=values.get("next_attempt_at"))
    else:
        changes.update(state=NOTICE_ENDS.get(state, NOTICE_FAILED),
                       sent_at=now if state == SENT else None)
    db.session.execute(update(OpeningNotice).where(
        OpeningNotice.release_id == row.release_id, OpeningNotice.fan_id == row.fan_id,
        OpeningNotice.state == NOTICE_PENDING).values(**changes)
        .execution_options(synchronize_session=False))


NOTICE_ENDS = {SENT: NOTICE_SENT, CANCELLED: NOTICE_CANCELLED}
# A fan's reminders (remind pre-saves) end as their It's out message does.
REMINDER_ENDS = {SENT: DELIVERED, CANCELLED: PRESAVE_CANCELLED}


def _settle_reminders(row, values, now):
    """The fan's reminders handed to this It's out message take its outcome: delivered when
    it was sent, else its state and reason (still pending while the message waits)."""
    state = values["state"]
    changes = dict(last_error=values.get("reason"), updated_at=now)
    if state == SENT:
        changes.update(state=DELIVERED, delivered_at=now, attempts=PreSave.attempts + 1)
    elif state != QUEUED:
        changes.update(state=REMINDER_ENDS.get(state, PRESAVE_FAILED),
                       attempts=PreSave.attempts + (1 if state != CANCELLED else 0))
    platforms = db.session.scalars(update(PreSave).where(
        PreSave.release_id == row.release_id, PreSave.fan_id == row.fan_id,
        PreSave.action == REMIND, PreSave.state == PENDING, PreSave.next_attempt_at.is_(None))
        .values(**changes).returning(PreSave.platform)
        .execution_options(synchronize_session=False)).all()
    if "state" in changes:  # an end, not a wait
        for platform in platforms:
            metrics.add(metrics.PRESAVES, 1, platform, changes["state"])
