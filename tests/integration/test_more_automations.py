"""The re-consent and follow-up automations: asked for at the right time, sent only when they
still make sense, and only with the consent they need."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from app.jobs import messages as message_jobs
from app.localtime import frozen, now_utc
from app.models import Artist, Automation, MessageRecipient, Release
from tests.fan_journey import sandbox_decision, start
from tests.message_runs import ledger, work
from tests.release_day_runs import ctx, release_now, remind_me, run_release_day


def direct(app, slug, email, **box):
    client = app.test_client()
    going = start(client, slug, email=email, **box)
    assert going.status_code == 302, going.get_data(as_text=True)[:500]
    assert client.get(sandbox_decision(client, going.headers["Location"])).status_code == 302
    return client


def test_a_grant_that_dies_before_the_release_is_renewed_on_time(app, smtp_server,
                                                                 active_release):
    inbox = smtp_server()
    slug = active_release(days=200)  # Spotify permissions last 180 days
    email = f"fan-{uuid.uuid4().hex[:8]}@example.com"
    direct(app, slug, email, consent_email_marketing="1")
    (ask,) = [r for r in ledger(app, slug) if r.message.kind == "reconsent"]
    with ctx(app) as session:
        release_at = session.scalar(select(Release.release_at).where(Release.slug == slug))
    assert ask.next_attempt_at == release_at - timedelta(days=179)
    its_time(app, ask.id)
    work(app)
    asked = [m for m in inbox.to(email) if m["Subject"].startswith("Tap once")]
    assert len(asked) == 1
    assert asked[0]["Subject"] == "Tap once to keep your pre-save of “Flow Song”"
    assert "Spotify ends the permission you gave" in asked[0].get_body(("plain",)).get_content()


def test_a_fan_who_renewed_already_is_not_asked(app, smtp_server, active_release):
    inbox = smtp_server()
    slug = active_release(days=200)
    email = f"fan-{uuid.uuid4().hex[:8]}@example.com"
    direct(app, slug, email, consent_email_marketing="1")
    with ctx(app) as session:  # the release moved closer: the permission now lasts
        release = session.scalars(select(Release).where(Release.slug == slug)).one()
        release.release_at = now_utc() + timedelta(days=30)
        session.commit()
    (ask,) = [r for r in ledger(app, slug) if r.message.kind == "reconsent"]
    its_time(app, ask.id)
    work(app)
    (ask,) = [r for r in ledger(app, slug) if r.message.kind == "reconsent"]
    assert ask.state == "cancelled"
    assert ask.reason == "not sent: the fan's permission already lasts until the release"
    assert not [m for m in inbox.to(email) if m["Subject"].startswith("Tap once")]


def test_new_dates_move_the_asks_and_ask_fans_whose_permission_no_longer_lasts(
        app, api, smtp_server, active_release):
    from app.extensions import queue
    from app.jobs import reconsent

    smtp_server()
    slug = active_release(days=100)  # a permission given today lasts until then
    direct(app, slug, f"fan-{uuid.uuid4().hex[:8]}@example.com", consent_email_marketing="1")
    assert [r for r in ledger(app, slug) if r.message.kind == "reconsent"] == []
    with ctx(app) as session:
        release = session.scalars(select(Release).where(Release.slug == slug)).one()
        label_id, release_id = release.label_id, release.id
    client, headers = api("staff@northwind.test")

    def move_to(days):
        local = (now_utc() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")
        moved = client.put(f"/api/v1/releases/{release_id}", headers=headers,
                           json={"release_at": local})
        assert moved.status_code == 200, moved.get_json()
        with app.app_context():
            waiting = queue("default").scheduled_job_registry.get_job_ids()
        assert any(job.startswith(f"release-{release_id}-reconsent-") for job in waiting)
        with app.app_context():
            counts = reconsent.follow_dates(label_id, release_id)
        with ctx(app) as session:
            return counts, session.scalar(select(Release.release_at).where(
                Release.id == release_id))

    counts, release_at = move_to(250)  # now the permission ends first: the fan is asked
    assert counts == {"moved": 0, "asked": 1}
    (ask,) = [r for r in ledger(app, slug) if r.message.kind == "reconsent"]
    assert ask.next_attempt_at == release_at - timedelta(days=179)
    counts, later = move_to(260)  # and the ask follows the release
    assert counts == {"moved": 1, "asked": 0}
    (ask,) = [r for r in ledger(app, slug) if r.message.kind == "reconsent"]
    assert ask.next_attempt_at == later - timedelta(days=179)
    assert later - release_at == timedelta(days=10)


def its_time(app, row_id):
    """One row's time has come (the others keep theirs)."""
    with ctx(app) as session:
        session.execute(update(MessageRecipient).where(MessageRecipient.id == row_id)
                        .values(next_attempt_at=now_utc() - timedelta(seconds=1)))
        session.commit()


@pytest.fixture
def follow_up_on(app):
    with ctx(app) as session:
        artist = session.scalars(select(Artist).where(Artist.slug == "aurora-vale")).one()
        session.add(Automation(label_id=artist.label_id, artist_id=artist.id, kind="follow_up",
                               enabled=True, delay_minutes=3 * 24 * 60,
                               subject="More from {artist_name}", body="Hi! {fan_page_url}"))
        session.commit()
    yield
    with ctx(app) as session:
        session.execute(delete(Automation))
        session.commit()


def test_the_follow_up_waits_its_days_and_needs_marketing_consent(
        app, smtp_server, active_release, follow_up_on):
    smtp_server()
    slug = active_release()
    marketed = remind_me(app, slug)
    with ctx(app) as session:  # one of the two also agreed to the artist's news
        from app.models import Consent, Fan

        fan = session.scalars(select(Fan).where(Fan.email == marketed)).one()
        session.add(Consent(fan=fan, fan_id=fan.id, label_id=fan.label_id,
                            artist_id=fan.artist_id, purpose="email_marketing", wording="News"))
        session.commit()
        marketed_id = fan.id
    remind_me(app, slug)
    label_id, release_id = release_now(app, slug)
    run_release_day(app, label_id, release_id)
    (row,) = [r for r in ledger(app, slug) if r.message.kind == "follow_up"]
    assert row.fan_id == marketed_id
    assert row.state == "queued"
    assert row.next_attempt_at > now_utc() + timedelta(days=2, hours=23)
    with frozen(row.next_attempt_at + timedelta(seconds=1)), app.app_context():
        message_jobs.send_batch(row.label_id, row.message_id)  # this message only, in 3 days
    (row,) = [r for r in ledger(app, slug) if r.message.kind == "follow_up"]
    assert row.state == "sent"
