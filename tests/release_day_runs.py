"""Release day driven from a test: fans who pre-save or ask for a reminder, the release moved
due, the jobs run by a real RQ worker, and the rows and sandbox saves they leave."""
import uuid
from datetime import timedelta

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select, update

from app.extensions import db, queue, redis_connection
from app.jobs.messages import QUEUE as MESSAGES_QUEUE, RECIPIENTS
from app.jobs.messages import enqueue_due as enqueue_due_messages
from app.jobs.release_day import (DELIVERY_QUEUE, deliver_due, recover_stale_leases,
                                  start_release_day)
from app.localtime import now_utc
from app.models import Authorization, MessageRecipient, PreSave, Release, StreamingLink
from app.sandbox import state as sandbox
from app.tenants.context import Scope, scoped
from tests.fan_journey import sandbox_decision, start


@pytest.fixture
def over_http(app, served_here, monkeypatch):
    """Platform calls leave the process, as from a worker: the sandbox on the live server.
    The sandbox's helpers run in an app context held for the whole test."""
    monkeypatch.setitem(app.config, "SANDBOX_IN_PROCESS", False)
    with app.app_context():
        for platform in ("spotify", "tidal"):
            sandbox.clear_faults(platform)
        yield served_here
        for platform in ("spotify", "tidal"):
            sandbox.clear_faults(platform)
        for key in redis_connection().scan_iter("presave:pause:*"):
            redis_connection().delete(key)


def ctx(app):
    return _Ctx(app)


class _Ctx:
    """An app context in the platform scope, as the reconciler runs."""

    def __init__(self, app):
        self.app = app

    def __enter__(self):
        self.app_ctx = self.app.app_context()
        self.app_ctx.__enter__()
        self.scope = scoped(Scope.platform("test"))
        self.scope.__enter__()
        return db.session

    def __exit__(self, *exc):
        db.session.remove()
        self.scope.__exit__(*exc)
        self.app_ctx.__exit__(*exc)


def presave(app, slug, platform="spotify", client=None):
    """One fan pre-saves ``slug`` through the page and the sandbox consent; their test client."""
    client = client or app.test_client()
    email = f"fan-{uuid.uuid4().hex[:8]}@example.com"
    going = start(client, slug, platform=platform, email=email)
    if going.headers["Location"].startswith("/s/"):
        return client  # one-click: the fan's grant was reused
    assert client.get(sandbox_decision(client, going.headers["Location"])).status_code == 302
    return client


def release_now(app, slug, isrc=None, hours_ago=0.0):
    """Move the release instant into the past (and the pre-saves with it); the release id."""
    with ctx(app) as session:
        release = session.scalars(select(Release).where(Release.slug == slug)).one()
        release.release_at = now_utc() - timedelta(hours=hours_ago, minutes=1)
        release.isrc = isrc
        session.execute(update(PreSave).where(PreSave.release_id == release.id)
                        .values(next_attempt_at=release.release_at))
        session.commit()
        return release.label_id, release.id


def new_isrc():
    return "QZ" + uuid.uuid4().hex[:10].upper()


def on_platform(platform="spotify"):
    """An ISRC the sandbox's catalogue has; (isrc, item id)."""
    isrc = new_isrc()
    item = sandbox.add_catalog_item(platform, isrc=isrc, id=_item_id(platform), title="Flow Song")
    return isrc, item["id"]


def _item_id(platform):
    if platform == "spotify":
        return uuid.uuid4().hex[:22]
    return str(uuid.uuid4().int % 10**9)


def manual_link(app, release_id, platform, item_id):
    """Staff set the link by hand: no look-up needed."""
    with ctx(app) as session:
        release = session.get(Release, release_id)
        session.add(StreamingLink(release_id=release_id, label_id=release.label_id,
                                  artist_id=release.artist_id, platform=platform,
                                  url=f"https://example.com/{item_id}", item_id=item_id,
                                  source="manual"))
        session.commit()


def work(app):
    """A worker on the release-day queues: saves, and the It's out messages they set off."""
    with app.app_context():
        SimpleWorker([queue(DELIVERY_QUEUE), queue(MESSAGES_QUEUE)],
                     connection=redis_connection()).work(burst=True)


def run_release_day(app, label_id, release_id):
    with app.app_context():
        queue(DELIVERY_QUEUE).enqueue(start_release_day, label_id, release_id)
    work(app)


def rows(app, release_id):
    with ctx(app) as session:
        found = session.scalars(select(PreSave).where(PreSave.release_id == release_id)
                                .order_by(PreSave.id)).all()
        session.expunge_all()
        return found


def grant_of(app, presave_row):
    with ctx(app) as session:
        grant = session.get(Authorization, presave_row.authorization_id)
        session.expunge(grant)
        return grant


def sandbox_user(app, presave_row):
    return grant_of(app, presave_row).platform_user_id


def saves_of(app, platform, item_id):
    with app.app_context():
        return [s for s in sandbox.saves(platform) if s["id"] == item_id]


def age_retries(app, release_id):
    """The retry times have come (as if the back-off had passed), the saves' and the
    messages'; a reminder waiting for its message stays without a time of its own."""
    with ctx(app) as session:
        session.execute(update(PreSave).where(PreSave.release_id == release_id,
                                              PreSave.state == "pending",
                                              PreSave.next_attempt_at.is_not(None))
                        .values(next_attempt_at=now_utc() - timedelta(seconds=1)))
        session.execute(update(MessageRecipient).where(MessageRecipient.release_id == release_id,
                                                       MessageRecipient.state == "queued")
                        .values(next_attempt_at=now_utc() - timedelta(seconds=1)))
        session.commit()


def reconcile_once(app):
    """What the minute reconciler does for release day and its messages, then the worker."""
    with ctx(app) as session:
        recovered, enqueued = recover_stale_leases(), deliver_due()
        RECIPIENTS.recover()
        enqueue_due_messages(now_utc())
        session.commit()
    work(app)
    return recovered, enqueued


def remind_me(app, slug, platform="spotify"):
    """A fan asks for a reminder on the page; their email."""
    email = f"fan-{uuid.uuid4().hex[:8]}@example.com"
    answer = start(app.test_client(), slug, platform=platform, email=email, intent="remind")
    assert answer.status_code == 302
    return email


def ledger_counts(app, release_id):
    """The release's pre-saves by state, with "final" (delivered or failed), "in_progress" and
    "open" (pending or in progress) added up."""
    with app.app_context(), scoped(Scope.platform("test")):
        found = dict(db.session.execute(
            select(PreSave.state, func.count()).where(PreSave.release_id == release_id)
            .group_by(PreSave.state)).all())
        db.session.remove()
    return {"final": found.get("delivered", 0) + found.get("failed", 0),
            "in_progress": found.get("in_progress", 0),
            "open": found.get("pending", 0) + found.get("in_progress", 0), **found}
