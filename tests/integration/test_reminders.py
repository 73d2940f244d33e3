"""Release-day reminders on the real database, Redis, RQ and a real SMTP server (aiosmtpd).

A fan who asked for a reminder gets it as the release's "It's out" message
(app.jobs.its_out); their remind pre-saves take its outcome. Fans ask through the fan page
(or, for SMS, leave only a phone); the release instant is moved into the past and release
day runs on a burst SimpleWorker.
"""
import logging
from datetime import timedelta

from sqlalchemy import update

from app.jobs import messages as message_jobs
from app.localtime import frozen, now_utc
from app.models import MessageRecipient, Release
from tests.message_runs import daytime, follow, recipient_rows, texting_fan, tracked_links
from tests.release_day_runs import (age_retries, ctx, reconcile_once, release_now as due_now,
                                     remind_me, rows, run_release_day)
from tests.sms_gateway import PATH as SMS_PATH, RecordingSms
from tests.smtp_server import Login

BASE = "http://presave.test"


def message_rows(app, release_id):
    return recipient_rows(app, MessageRecipient.release_id == release_id)


def test_a_reminder_is_the_its_out_email_with_the_link_and_one_click_unsubscribe(
        app, smtp_server, active_release):
    inbox = smtp_server()
    slug = active_release()
    email = remind_me(app, slug)
    label_id, release_id = due_now(app, slug)
    run_release_day(app, label_id, release_id)
    (message,) = inbox.to(email)
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert message["Subject"] == "“Flow Song” by Aurora Vale is out now"
    assert message["From"] == "Presave <presave@presave.test>"
    assert f"Listen on Spotify:\n{BASE}/s/aurora-vale/m/" in body
    (stream,) = tracked_links(body)
    assert follow(app, stream) == f"{BASE}/s/aurora-vale/{slug}/go/spotify"
    assert message["List-Unsubscribe"].startswith(f"<{BASE}/s/aurora-vale/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    (row,) = rows(app, release_id)
    assert (row.action, row.state, row.attempts, row.last_error) == ("remind", "delivered", 1, None)
    assert row.delivered_at and row.lease_token is None
    its_out = [r for r in message_rows(app, release_id) if r.state == "sent"]
    assert len(its_out) == 1 and its_out[0].provider_id == message["Message-ID"]
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
    (waiting,) = [r for r in message_rows(app, release_id) if r.reason == row.last_error]
    assert waiting.state == "queued" and waiting.next_attempt_at > now_utc() + timedelta(
        minutes=55)
    inbox = smtp_server()  # set up later: the next look sends it
    age_retries(app, release_id)
    reconcile_once(app)
    assert len(inbox.to(email)) == 1
    assert rows(app, release_id)[0].state == "delivered"


def test_sms_reminders_go_through_the_provider(app, active_release, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_PROVIDER", SMS_PATH)
    RecordingSms.sent.clear()
    slug = active_release()
    texting_fan(app, slug, phone="+4915112345678")
    label_id, release_id = due_now(app, slug)
    with frozen(daytime()):
        run_release_day(app, label_id, release_id)
    ((to, text),) = RecordingSms.sent
    assert to == "+4915112345678"
    assert text == (f"“Flow Song” by Aurora Vale is out now: {BASE}/s/aurora-vale/{slug}/go/"
                    "deezer Reply STOP to opt out.")
    assert [(r.state, r.attempts) for r in rows(app, release_id)] == [("delivered", 1)]


def test_the_log_only_sms_default_logs_nothing_about_the_fan(app, active_release, caplog):
    slug = active_release()
    texting_fan(app, slug, phone="+4915199887766")
    label_id, release_id = due_now(app, slug)
    with caplog.at_level(logging.INFO, logger="app.messaging.sms"), frozen(daytime()):
        run_release_day(app, label_id, release_id)
    assert "to a +49 number" in caplog.text
    assert "99887766" not in caplog.text and "Flow Song" not in caplog.text
    assert rows(app, release_id)[0].state == "delivered"


def test_in_production_the_log_only_sms_sends_nothing(app, active_release, monkeypatch):
    monkeypatch.setitem(app.config, "PRESAVE_ENV", "production")
    slug = active_release()
    texting_fan(app, slug, phone="+4915112345678")
    label_id, release_id = due_now(app, slug)
    with frozen(daytime()):
        run_release_day(app, label_id, release_id)
    (row,) = rows(app, release_id)
    assert (row.state, row.last_error) == ("pending", "not sent: SMS is not set up (SMS_PROVIDER)")


def test_a_withdrawn_reminder_is_cancelled_not_sent(app, active_release, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_PROVIDER", SMS_PATH)
    RecordingSms.sent.clear()
    slug = active_release()
    texting_fan(app, slug, withdrawn=True)
    label_id, release_id = due_now(app, slug)
    with frozen(daytime()):
        run_release_day(app, label_id, release_id)
    assert RecordingSms.sent == []
    (row,) = rows(app, release_id)
    assert (row.state, row.last_error) == ("cancelled", "not sent: the fan withdrew the reminder")
    assert message_rows(app, release_id) == []


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


def test_a_message_leased_by_another_worker_is_not_sent(app, smtp_server, active_release):
    inbox = smtp_server()
    slug = active_release()
    email = remind_me(app, slug)
    label_id, release_id = due_now(app, slug)
    with ctx(app) as session:  # release day's message rows, without sending them yet
        from app.jobs.its_out import queue_due

        released = session.get(Release, release_id)
        (message_id,) = queue_due(released)
        session.commit()
        token, ids, _ = message_jobs.RECIPIENTS.claim(
            [MessageRecipient.message_id == message_id], 10)
        session.commit()
    assert len(ids) == 1
    with app.app_context():
        assert message_jobs.send_batch(label_id, message_id) == {}
    assert inbox.to(email) == []
    with ctx(app) as session:  # the other worker died: its lease runs out, the row comes back
        session.execute(update(MessageRecipient).where(MessageRecipient.id == ids[0])
                        .values(leased_until=now_utc() - timedelta(seconds=1)))
        assert message_jobs.RECIPIENTS.recover() == 1
        session.commit()
    with app.app_context():
        assert message_jobs.send_batch(label_id, message_id) == {"sent": 1}
    assert len(inbox.to(email)) == 1
    assert rows(app, release_id)[0].state == "delivered"
