"""Messages go at the rate their provider allows, counted once for every worker: a blast
bigger than SMTP_SEND_RATE's room sends what fits and the rest wait in the ledger, without an
attempt counted, for the moment there is room (a later batch on another worker finds the same
count); a provider's 429 holds every text after it, not only the one it answered."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.extensions import redis_connection
from app.jobs.pacing import Pace
from app.localtime import frozen, now_utc
from app.models import Fan, MessageRecipient
from app.sandbox import state as sandbox_state
from tests.message_runs import blast_form, daytime, make_fan, recipient_rows, work
from tests.release_day_runs import ctx


def send_blast(app, login, city, **changes):
    answer = login("staff@northwind.test").post(
        "/blasts/new", data=blast_form(city=city, action="send", **changes))
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return int(answer.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def rows(app, message_id):
    return recipient_rows(app, MessageRecipient.message_id == message_id)


def times_come(app, message_id):
    """The waiting rows' times have come (as far as the database knows)."""
    with ctx(app) as session:
        session.execute(update(MessageRecipient).where(
            MessageRecipient.message_id == message_id, MessageRecipient.state == "queued")
            .values(next_attempt_at=now_utc() - timedelta(seconds=1)))
        session.commit()


def test_a_blast_goes_at_the_mail_servers_rate_and_the_rest_wait_their_turn(
        app, login, smtp_server, monkeypatch):
    inbox = smtp_server()
    monkeypatch.setitem(app.config, "SMTP_SEND_RATE", "5/hour")
    city = f"Selfoss-{uuid.uuid4().hex[:6]}"
    for _ in range(12):
        make_fan(app, "aurora-vale", city, marketing=("email",))
    message_id = send_blast(app, login, city)
    work(app)
    assert len(inbox.messages) == 5
    ledger = rows(app, message_id)
    assert sorted(r.state for r in ledger) == ["queued"] * 7 + ["sent"] * 5
    waiting = [r for r in ledger if r.state == "queued"]
    assert {r.reason for r in waiting} == {"waiting its turn: SMTP_SEND_RATE allows 5 per hour"}
    assert {r.attempts for r in waiting} == {0}
    assert all(r.next_attempt_at.replace(tzinfo=None) > (now_utc() + timedelta(minutes=50))
               .replace(tzinfo=None) for r in waiting)

    times_come(app, message_id)
    work(app)  # a new batch, as on another worker: the count in Redis is the same one
    assert len(inbox.messages) == 5
    assert sorted(r.state for r in rows(app, message_id)) == ["queued"] * 7 + ["sent"] * 5

    monkeypatch.setitem(app.config, "SMTP_SEND_RATE", "100/hour")  # room again
    times_come(app, message_id)
    work(app)
    assert [r.state for r in rows(app, message_id)] == ["sent"] * 12
    with ctx(app) as session:
        emails = set(session.scalars(select(Fan.email).where(Fan.city == city)))
    assert sorted(to for rcpt, _ in inbox.messages for to in rcpt) == sorted(emails)  # once each


def test_a_rate_that_does_not_read_as_one_holds_the_channel_with_a_reason(
        app, login, smtp_server, monkeypatch):
    inbox = smtp_server()
    monkeypatch.setitem(app.config, "SMTP_SEND_RATE", "fast please")
    city = f"Vogar-{uuid.uuid4().hex[:6]}"
    make_fan(app, "aurora-vale", city, marketing=("email",))
    message_id = send_blast(app, login, city)
    work(app)
    assert inbox.messages == []
    (row,) = rows(app, message_id)
    assert (row.state, row.attempts) == ("queued", 0)
    assert row.reason == ("not sent: SMTP_SEND_RATE is 'fast please', not a rate such as "
                          "10/second or 600/minute")


@pytest.fixture
def sandbox_texts(app, monkeypatch):
    """Texts through the Twilio-compatible client to the sandbox's stand-in; afterwards its
    faults are cleared and its pause lifted (the other tests text the same account)."""
    monkeypatch.setitem(app.config, "SMS_PROVIDER", None)
    yield
    with app.app_context():
        sandbox_state.clear_faults("sms")
        redis_connection().delete(Pace.of(app.config, "sms").pause_key)


def test_a_429_from_the_sms_provider_holds_every_text_until_its_retry_after(
        app, login, sandbox_texts):
    city = f"Hella-{uuid.uuid4().hex[:6]}"
    for _ in range(4):
        make_fan(app, "aurora-vale", city, email=False, phone=True, marketing=("sms",))
    with app.app_context():
        sandbox_state.set_faults("sms", rate_429=1.0, retry_after=600)
        before = sandbox_state.injected("sms").get("rate_429", 0)
    with frozen(daytime()):
        message_id = send_blast(app, login, city, by_email=None, by_sms="y",
                                sms_body="{artist_name} plays {release_title} live")
        work(app)
        ledger = rows(app, message_id)
    with app.app_context():
        assert sandbox_state.injected("sms").get("rate_429", 0) - before == 1  # one call only
    asked, *held = ledger
    assert (asked.state, asked.attempts) == ("queued", 1)
    assert asked.reason == "the SMS provider answered 429 (20429): Too Many Requests"
    assert [(r.state, r.attempts) for r in held] == [("queued", 0)] * 3
    assert {r.reason for r in held} == {
        "waiting: the provider asked to slow down (429), every worker waits"}
    soonest = (daytime() + timedelta(minutes=9)).replace(tzinfo=None)
    assert all(r.next_attempt_at.replace(tzinfo=None) > soonest for r in held)
