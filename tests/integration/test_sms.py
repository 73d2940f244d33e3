"""Texts through the Twilio-compatible client against the sandbox's stand-in, which answers
like Twilio (codes, error bodies, faults), calls back with delivery reports and passes on a
fan's STOP; the webhooks take only what the provider signed."""
import pytest
from sqlalchemy import select

from app.localtime import frozen, now_utc
from app.messaging.suppression import address_hash
from app.messaging.twilio import SANDBOX_TOKEN, signature
from app.models import Fan, MessageRecipient, Suppression
from app.sandbox import sms as sandbox_sms, state as sandbox_state
from tests.message_runs import daytime, texting_fan
from tests.release_day_runs import ctx, release_now, rows, run_release_day

BASE = "http://presave.test"


@pytest.fixture
def twilio(app, monkeypatch):
    """The default SMS provider with the sandbox on: the Twilio-compatible client."""
    monkeypatch.setitem(app.config, "SMS_PROVIDER", None)
    yield
    with app.app_context():
        sandbox_state.set_faults("sms", rate_5xx=0, rate_429=0)


def its_out(app, slug):
    label_id, release_id = release_now(app, slug)
    with frozen(daytime()):
        run_release_day(app, label_id, release_id)
    return release_id


def text_row(app, release_id):
    with ctx(app) as session:
        (row,) = session.scalars(select(MessageRecipient).where(
            MessageRecipient.release_id == release_id, MessageRecipient.channel == "sms")).all()
        session.expunge(row)
        return row


def test_a_text_goes_through_the_api_and_its_delivery_report_comes_back(
        app, active_release, twilio):
    slug = active_release()
    phone = texting_fan(app, slug)
    release_id = its_out(app, slug)
    with app.app_context():
        (sent,) = sandbox_sms.sent(to=phone)
    assert sent["body"] == (f"“Flow Song” by Aurora Vale is out now: {BASE}/s/aurora-vale/{slug}"
                            "/go/deezer Reply STOP to opt out.")
    assert sent["from"] == "+15005550006" and sent["num_segments"] == "2"
    row = text_row(app, release_id)
    assert (row.state, row.provider_id) == ("sent", sent["sid"])
    assert [r.state for r in rows(app, release_id)] == ["delivered"]
    with app.app_context():
        assert sandbox_sms.deliver(sent["sid"], "undelivered", 30003) == 204
    row = text_row(app, release_id)
    assert (row.state, row.reason) == ("failed", "the carrier did not deliver it (provider "
                                                 "error 30003)")


def test_the_apis_refusals_read_in_the_ledger(app, active_release, twilio, monkeypatch):
    slug = active_release()
    texting_fan(app, slug, phone="12345")  # not E.164: Twilio's 21211
    release_id = its_out(app, slug)
    row = text_row(app, release_id)
    assert row.state == "failed"
    assert row.reason == ("not sent: the SMS provider answered 400 (21211): not a valid phone "
                          "number")
    slug = active_release()
    texting_fan(app, slug)
    monkeypatch.setitem(app.config, "SMS_ACCOUNT_SID", "ACsandbox0000000000000000000000000")
    monkeypatch.setitem(app.config, "SMS_AUTH_TOKEN", "not-the-token")
    monkeypatch.setitem(app.config, "SMS_API_URL", f"{BASE}/sandbox/sms")
    release_id = its_out(app, slug)
    row = text_row(app, release_id)
    assert row.state == "queued" and row.attempts == 0
    assert row.reason == ("not sent: the SMS provider answered 401 (20003): check SMS_ACCOUNT_SID "
                          "and SMS_AUTH_TOKEN")
    assert "not-the-token" not in row.reason


def test_a_busy_provider_is_tried_again_later(app, active_release, twilio):
    slug = active_release()
    texting_fan(app, slug)
    with app.app_context():
        sandbox_state.set_faults("sms", rate_5xx=1.0)
    release_id = its_out(app, slug)
    row = text_row(app, release_id)
    assert (row.state, row.attempts) == ("queued", 1)
    assert row.reason == "the SMS provider answered 503 (20503): Service Unavailable"
    assert row.next_attempt_at > now_utc()


def test_stop_withdraws_suppresses_and_the_provider_refuses_too(app, active_release, twilio):
    slug = active_release()
    phone = texting_fan(app, slug, marketing=True)
    with app.app_context():
        assert sandbox_sms.reply(phone, "Stop") == 200
    with ctx(app) as session:
        fan = session.scalars(select(Fan).where(Fan.phone == phone)).one()
        texts = {c.purpose: (c.withdrawn_at is not None, c.withdrawn_via) for c in fan.consents}
        assert texts == {"release_reminder": (True, "SMS STOP"),
                         "sms_marketing": (True, "SMS STOP")}
        assert session.scalar(select(Suppression.reason).where(
            Suppression.artist_id == fan.artist_id, Suppression.channel == "sms")) == "stop"
    release_id = its_out(app, slug)
    with app.app_context():
        assert sandbox_sms.sent(to=phone) == []
    assert [(r.state, r.last_error) for r in rows(app, release_id)] == [
        ("cancelled", "not sent: the fan withdrew the reminder")]


def test_start_after_stop_gives_back_what_stop_took_and_texts_go_again(
        app, active_release, twilio):
    slug = active_release()
    phone = texting_fan(app, slug, marketing=True)
    with app.app_context():
        assert sandbox_sms.reply(phone, "STOP") == 200
        assert sandbox_sms.reply(phone, " unstop ") == 200
        assert not sandbox_sms.stopped(phone)
    with ctx(app) as session:
        fan = session.scalars(select(Fan).where(Fan.phone == phone)).one()
        live = {c.purpose: c.wording for c in fan.consents if c.withdrawn_at is None}
        withdrawn = {c.purpose: c.withdrawn_via for c in fan.consents if c.withdrawn_at}
        assert withdrawn == {"release_reminder": "SMS STOP", "sms_marketing": "SMS STOP"}
        assert set(live) == {"release_reminder", "sms_marketing"}
        assert all(wording.endswith("(agreed again by texting START)")
                   for wording in live.values())
        assert session.scalar(select(Suppression.id).where(
            Suppression.address_hash == address_hash("sms", phone))) is None
    release_id = its_out(app, slug)
    with app.app_context():
        assert len(sandbox_sms.sent(to=phone)) == 1
    assert text_row(app, release_id).state == "sent"


def test_start_does_not_undo_what_the_fan_withdrew_elsewhere(app, active_release, twilio):
    slug = active_release()
    phone = texting_fan(app, slug, withdrawn=True)  # took the reminder back on their page
    with app.app_context():
        assert sandbox_sms.reply(phone, "START") == 200
    with ctx(app) as session:
        fan = session.scalars(select(Fan).where(Fan.phone == phone)).one()
        assert [c.purpose for c in fan.consents if c.withdrawn_at is None] == []


def test_a_stop_the_provider_knows_suppresses_the_number(app, active_release, twilio):
    """The fan texted STOP and the webhook was lost: the provider's 21610 says so."""
    slug = active_release()
    phone = texting_fan(app, slug)
    with app.app_context():
        sandbox_sms.redis_connection().sadd(sandbox_sms.KEY + "stopped", phone)
    release_id = its_out(app, slug)
    row = text_row(app, release_id)
    assert row.state == "suppressed" and "the fan replied STOP" in row.reason
    with ctx(app) as session:
        assert session.scalar(select(Suppression.reason).where(
            Suppression.channel == "sms").order_by(Suppression.id.desc()).limit(1)) == "stop"


@pytest.mark.parametrize("path", ["/webhooks/sms/inbound", "/webhooks/sms/status"])
def test_the_webhooks_take_only_what_the_provider_signed(app, client, path, twilio):
    params = {"From": "+4915112000000", "Body": "STOP", "MessageSid": "SMx",
              "MessageStatus": "failed"}
    assert client.post(path, data=params).status_code == 403
    assert client.post(path, data=params,
                       headers={"X-Twilio-Signature": "bm90IGl0"}).status_code == 403
    forged = signature("someone-elses-token", f"{BASE}{path}", params)
    assert client.post(path, data=params,
                       headers={"X-Twilio-Signature": forged}).status_code == 403
    good = signature(SANDBOX_TOKEN, f"{BASE}{path}", params)
    assert client.post(path, data=params,
                       headers={"X-Twilio-Signature": good}).status_code in (200, 204)


def test_the_sandbox_answers_like_twilio(app, client, twilio):
    url = "/sandbox/sms/2010-04-01/Accounts/ACsandbox0000000000000000000000000/Messages.json"
    auth = ("ACsandbox0000000000000000000000000", SANDBOX_TOKEN)
    import base64

    basic = {"Authorization": "Basic " + base64.b64encode(":".join(auth).encode()).decode()}
    assert client.post(url, data={"To": "+4915112345678"}).get_json()["code"] == 20003
    answers = {
        "no body": ({"To": "+4915112345678", "From": "+15005550006"}, 400, 21602),
        "no sender": ({"To": "+4915112345678", "Body": "Hi"}, 400, 21603),
        "bad number": ({"To": "0049", "From": "+15005550006", "Body": "Hi"}, 400, 21211),
        "too long": ({"To": "+4915112345678", "From": "+15005550006", "Body": "x" * 1601},
                     400, 21617)}
    for name, (form, status, code) in answers.items():
        answer = client.post(url, data=form, headers=basic)
        assert (answer.status_code, answer.get_json()["code"]) == (status, code), name
        assert answer.get_json()["more_info"].endswith(str(code)), name
    made = client.post(url, data={"To": "+4915112345678", "From": "+15005550006",
                                  "Body": "Grüße 🎵"}, headers=basic)
    assert made.status_code == 201 and made.get_json()["sid"].startswith("SM")
    assert made.get_json()["status"] == "queued"
