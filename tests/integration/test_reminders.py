"""Release-day reminders on the real database, Redis, RQ and a real SMTP server (aiosmtpd).

Fans ask for a reminder through the fan page (or, for SMS, leave only a phone); the release
instant is moved into the past and release day runs on a burst SimpleWorker.
"""
import logging
from datetime import timedelta

from sqlalchemy import select, update

from app.localtime import now_utc
from app.models import Artist, Consent, Fan, PreSave, Release
from app.presaves import record as presaves
from tests.release_day_runs import (age_retries, ctx, reconcile_once, release_now as due_now,
                                     remind_me, rows, run_release_day)
from tests.sms_gateway import PATH as SMS_PATH, RecordingSms
from tests.smtp_server import Login

BASE = "http://presave.test"


def texting_fan(app, slug, phone="+4915112345678", withdrawn=False):
    """A fan who left only a phone and asked for a reminder (withdrawn: and took it back)."""
    with ctx(app) as session:
        release = session.scalars(select(Release).where(Release.slug == slug)).one()
        artist = session.get(Artist, release.artist_id)
        fan = Fan(artist=artist, label_id=artist.label_id, artist_id=artist.id, phone=phone)
        session.add(fan)
        session.flush()
        session.add(Consent(fan=fan, fan_id=fan.id, label_id=fan.label_id, artist_id=artist.id,
                            purpose="release_reminder", wording="Remind me",
                            withdrawn_at=now_utc() if withdrawn else None))
        presaves.record_presave(release, fan, "deezer")
        session.commit()


def test_a_reminder_is_one_email_with_the_link_and_the_unsubscribe_line(
        app, smtp_server, active_release):
    inbox = smtp_server()
    slug = active_release()
    email = remind_me(app, slug)
    label_id, release_id = due_now(app, slug)
    run_release_day(app, label_id, release_id)
    (message,) = inbox.to(email)
    body = message.get_content().replace("\r\n", "\n")
    assert message["Subject"] == "“Flow Song” by Aurora Vale is out now"
    assert message["From"] == "Presave <presave@presave.test>"
    assert f"Listen on Spotify:\n{BASE}/s/aurora-vale/{slug}\n" in body
    assert f"To stop messages, or to see what you shared, go to {BASE}/s/aurora-vale/me" in body
    assert message["List-Unsubscribe"] == f"<{BASE}/s/aurora-vale/me>"
    (row,) = rows(app, release_id)
    assert (row.action, row.state, row.attempts, row.last_error) == ("remind", "delivered", 1, None)
    assert row.delivered_at and row.lease_token is None
    run_release_day(app, label_id, release_id)  # a re-run, and the reconciler: nothing more
    reconcile_once(app)
    assert len(inbox.to(email)) == 1


def test_without_an_smtp_host_the_reminder_waits_with_a_plain_reason(
        app, smtp_server, active_release):
    slug = active_release()
    email = remind_me(app, slug, "tidal")
    label_id, release_id = due_now(app, slug)
    run_release_day(app, label_id, release_id)
    (row,) = rows(app, release_id)
    assert (row.state, row.attempts) == ("pending", 0)
    assert row.last_error == "not sent: email is not set up (SMTP_HOST is empty)"
    assert row.next_attempt_at > now_utc() + timedelta(minutes=55)
    inbox = smtp_server()  # set up later: the next look sends it
    age_retries(app, release_id)
    reconcile_once(app)
    assert len(inbox.to(email)) == 1
    assert rows(app, release_id)[0].state == "delivered"


def test_sms_reminders_go_through_the_provider(app, active_release, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_PROVIDER", SMS_PATH)
    RecordingSms.sent.clear()
    slug = active_release()
    texting_fan(app, slug)
    label_id, release_id = due_now(app, slug)
    run_release_day(app, label_id, release_id)
    ((to, text),) = RecordingSms.sent
    assert to == "+4915112345678"
    assert text == (f"“Flow Song” by Aurora Vale is out now on Deezer: {BASE}/s/aurora-vale/"
                    f"{slug} Stop messages: {BASE}/s/aurora-vale/me")
    assert [(r.state, r.attempts) for r in rows(app, release_id)] == [("delivered", 1)]


def test_the_log_only_sms_default_logs_nothing_about_the_fan(app, active_release, caplog):
    slug = active_release()
    texting_fan(app, slug, phone="+4915199887766")
    label_id, release_id = due_now(app, slug)
    with caplog.at_level(logging.INFO, logger="app.messaging.sms"):
        run_release_day(app, label_id, release_id)
    assert "to a +49 number" in caplog.text
    assert "99887766" not in caplog.text and "Flow Song" not in caplog.text
    assert rows(app, release_id)[0].state == "delivered"


def test_in_production_the_log_only_sms_sends_nothing(app, active_release, monkeypatch):
    monkeypatch.setitem(app.config, "PRESAVE_ENV", "production")
    slug = active_release()
    texting_fan(app, slug)
    label_id, release_id = due_now(app, slug)
    run_release_day(app, label_id, release_id)
    (row,) = rows(app, release_id)
    assert (row.state, row.last_error) == ("pending", "not sent: SMS is not set up (SMS_PROVIDER)")


def test_a_withdrawn_reminder_is_cancelled_not_sent(app, active_release, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_PROVIDER", SMS_PATH)
    RecordingSms.sent.clear()
    slug = active_release()
    texting_fan(app, slug, withdrawn=True)
    label_id, release_id = due_now(app, slug)
    run_release_day(app, label_id, release_id)
    assert RecordingSms.sent == []
    (row,) = rows(app, release_id)
    assert (row.state, row.last_error) == ("cancelled", "not sent: the fan withdrew the reminder")


def test_the_smtp_password_is_used_and_never_shown(app, smtp_server, active_release,
                                                   monkeypatch, caplog):
    inbox = smtp_server(login=Login("mailer", "right-horse-battery"))
    monkeypatch.setitem(app.config, "SMTP_USER", "mailer")
    monkeypatch.setitem(app.config, "SMTP_PASSWORD", "wrong-staple-1234")
    slug = active_release()
    email = remind_me(app, slug)
    label_id, release_id = due_now(app, slug)
    with caplog.at_level(logging.DEBUG):
        run_release_day(app, label_id, release_id)
    (row,) = rows(app, release_id)
    assert row.state == "pending" and "refused the login" in row.last_error
    assert "wrong-staple-1234" not in row.last_error + caplog.text
    monkeypatch.setitem(app.config, "SMTP_PASSWORD", "right-horse-battery")
    age_retries(app, release_id)
    reconcile_once(app)
    assert len(inbox.to(email)) == 1


def test_a_row_leased_by_another_worker_is_not_sent(app, smtp_server, active_release):
    from app.jobs import leases, reminders
    from app.models.presave import REMIND

    inbox = smtp_server()
    slug = active_release()
    email = remind_me(app, slug)
    label_id, release_id = due_now(app, slug)
    with ctx(app) as session:
        token, ids, _ = leases.lease(release_id, "spotify", 10, action=REMIND)
        session.commit()
    assert len(ids) == 1
    with app.app_context():
        assert reminders.send_batch(label_id, release_id, "spotify") == {"leased": 0}
    assert inbox.to(email) == [] and rows(app, release_id)[0].lease_token == token
    with ctx(app) as session:  # the other worker died: its lease runs out, the row comes back
        session.execute(update(PreSave).where(PreSave.id == ids[0])
                        .values(leased_until=now_utc() - timedelta(seconds=1)))
        assert leases.recover_stale_leases() == 1
        session.commit()
    with app.app_context():
        assert reminders.send_batch(label_id, release_id, "spotify")["delivered"] == 1
    assert len(inbox.to(email)) == 1
