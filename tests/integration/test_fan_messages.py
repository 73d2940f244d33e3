"""Messages to fans on the real database, Redis, RQ and a real SMTP server (aiosmtpd): the
thank-you after a pre-save, one-click unsubscribe, withdrawn consent, erasure, hard bounces,
the one-a-day cap and SMS quiet hours across a DST change."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from app.jobs import messages as message_jobs
from app.localtime import frozen, now_utc
from app.messaging import automations
from app.models import Consent, Fan, Release, Suppression
from app.models.fan import RELEASE_REMINDER, SMS_MARKETING
from app.models.message import ITS_OUT, THANK_YOU
from tests.fan_journey import sandbox_decision, start
from tests.message_runs import follow, ledger, time_passes, tracked_links, work
from tests.release_day_runs import ctx, remind_me
from tests.sms_gateway import PATH as SMS_PATH, RecordingSms

BASE = "http://presave.test"


def fan_of(app, email):
    with ctx(app) as session:
        fan = session.scalars(select(Fan).where(Fan.email == email)).one()
        session.expunge(fan)
        return fan


def unsubscribe_path(message):
    link = message["List-Unsubscribe"].strip("<>")
    assert link.startswith(f"{BASE}/s/aurora-vale/unsubscribe/")
    return link.removeprefix(BASE)


def test_a_presave_gets_one_thank_you_with_its_merge_fields(app, smtp_server, active_release):
    inbox = smtp_server()
    slug = active_release()
    client = app.test_client()
    email = f"fan-{uuid.uuid4().hex[:8]}@example.com"
    assert start(client, slug, platform="deezer", email=email, name="Ada Lovelace",
                 intent="remind").status_code == 302
    (row,) = ledger(app, slug)
    assert (row.state, row.channel, row.platform, row.message.kind) == (
        "queued", "email", "deezer", THANK_YOU)
    assert row.next_attempt_at > now_utc() + timedelta(minutes=4)
    work(app)
    assert inbox.to(email) == []  # not before its five minutes
    time_passes(app, slug)
    work(app)
    (message,) = inbox.to(email)
    assert message["Subject"] == "You pre-saved “Flow Song” by Aurora Vale"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith("Hi Ada,\n\nThanks for pre-saving “Flow Song” by Aurora Vale.")
    (page_link,) = tracked_links(text)
    assert follow(app, page_link) == f"{BASE}/s/aurora-vale/{slug}"
    assert "(UTC)" in text  # the release's date in its zone
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"Unsubscribe from Aurora Vale's emails: {message['List-Unsubscribe'].strip('<>')}" \
        in text
    html = message.get_body(("html",)).get_content()
    assert "Aurora Vale" in html and f'href="{page_link}"' in html
    follow(app, page_link, headers={"User-Agent": "Slackbot-LinkExpanding 1.0"})  # not counted
    (row,) = ledger(app, slug)
    assert (row.state, row.attempts, row.reason, row.clicks) == ("sent", 1, None, 1)
    assert row.provider_id == message["Message-ID"]
    # The same fan on a second platform, a re-run, the reconciler: still one thank-you.
    assert start(client, slug, platform="tidal", email=email, intent="remind").status_code == 302
    time_passes(app, slug)
    work(app)
    assert len(inbox.to(email)) == 1 and len(ledger(app, slug)) == 1


def direct(app, slug, email, **box):
    """A fan pre-saves on Spotify through the sandbox's consent page."""
    client = app.test_client()
    going = start(client, slug, email=email, **box)
    assert client.get(sandbox_decision(client, going.headers["Location"])).status_code == 302


def test_only_a_direct_presave_with_a_ticked_box_is_thanked(app, smtp_server, active_release):
    inbox = smtp_server()
    slug = active_release()
    quiet, told = (f"fan-{uuid.uuid4().hex[:8]}@example.com" for _ in range(2))
    direct(app, slug, quiet)
    direct(app, slug, told, consent_email_marketing="1")
    (row,) = ledger(app, slug)
    assert (row.fan_id, row.platform) == (fan_of(app, told).id, "spotify")
    time_passes(app, slug)
    work(app)
    assert inbox.to(quiet) == [] and len(inbox.to(told)) == 1


def test_one_click_unsubscribe_withdraws_and_suppresses(app, smtp_server, active_release,
                                                        monkeypatch):
    inbox = smtp_server()
    slug, later = active_release(), active_release()
    email = remind_me(app, slug)
    time_passes(app, slug)
    work(app)
    (message,) = inbox.to(email)
    path = unsubscribe_path(message)
    assert start(app.test_client(), later, email=email, intent="remind").status_code == 302
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # the one-click POST has none
    scanner = app.test_client().get(path)  # a link scanner opening it changes nothing
    assert scanner.status_code == 200
    assert "Stop emails from Aurora Vale?" in scanner.get_data(as_text=True)
    assert _live_purposes(app, email) == {RELEASE_REMINDER}
    forged = app.test_client().post(path[:-3] + "abc", data={"List-Unsubscribe": "One-Click"})
    assert forged.status_code == 404
    elsewhere = app.test_client().post(path.replace("aurora-vale", "juniper-hart"),
                                       data={"List-Unsubscribe": "One-Click"})
    assert elsewhere.status_code == 404
    answer = app.test_client().post(path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 204
    assert _live_purposes(app, email) == set()
    with ctx(app) as session:
        consent = session.scalars(select(Consent).join(Fan).where(Fan.email == email)).first()
        assert consent.withdrawn_via == "email unsubscribe link" and consent.withdrawn_at
        fan = session.scalars(select(Fan).where(Fan.email == email)).one()
        assert session.scalar(select(Suppression.reason).where(
            Suppression.artist_id == fan.artist_id)) is not None
    # The thank-you of the later release was queued before: it is cancelled, not sent.
    time_passes(app, later)
    work(app)
    assert len(inbox.to(email)) == 1
    (row,) = ledger(app, later)
    assert row.state == "cancelled" and "no consent" in row.reason
    again = app.test_client().post(path, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 204  # twice is harmless


def _live_purposes(app, email):
    with ctx(app) as session:
        return {c.purpose for c in session.scalars(
            select(Consent).join(Fan).where(Fan.email == email, Consent.withdrawn_at.is_(None)))}


def test_the_button_on_the_page_unsubscribes_too(app, smtp_server, active_release):
    inbox = smtp_server()
    slug = active_release()
    email = remind_me(app, slug)
    time_passes(app, slug)
    work(app)
    path = unsubscribe_path(inbox.to(email)[0])
    done = app.test_client().post(path, data={})
    assert done.status_code == 200 and "You're unsubscribed" in done.get_data(as_text=True)
    assert _live_purposes(app, email) == set()


def test_withdrawn_consent_and_erasure_cancel_what_is_queued(app, smtp_server, active_release):
    inbox = smtp_server()
    slug = active_release()
    withdrawn, erased = remind_me(app, slug), remind_me(app, slug)
    with ctx(app) as session:
        session.execute(update(Consent).where(Consent.fan_id == fan_of(app, withdrawn).id)
                        .values(withdrawn_at=now_utc()))
        session.commit()
    with ctx(app) as session:
        from app.presaves.fan_data import erase

        erase(session.get(Fan, fan_of(app, erased).id))
        session.commit()
    time_passes(app, slug)
    work(app)
    assert inbox.to(withdrawn) == [] and inbox.to(erased) == []
    reasons = sorted(row.reason for row in ledger(app, slug))
    assert [row.state for row in ledger(app, slug)] == ["cancelled", "cancelled"]
    assert reasons == ["not sent: erased at the fan's request",
                       "not sent: the fan has no consent for this (withdrawn or never given)"]


def test_a_hard_bounce_suppresses_the_address_and_a_deferral_retries(app, smtp_server,
                                                                     active_release):
    inbox = smtp_server()
    slug, later = active_release(), active_release()
    gone, busy = remind_me(app, slug), remind_me(app, slug)
    inbox.refuse[gone] = "550 5.1.1 No such user here"
    inbox.refuse[busy] = "451 4.7.1 Try again later"
    time_passes(app, slug)
    work(app)
    rows = {row.fan_id: row for row in ledger(app, slug)}
    bounced, deferred = rows[fan_of(app, gone).id], rows[fan_of(app, busy).id]
    assert bounced.state == "bounced"
    assert bounced.reason == ("bounced: the mail server refused the address "
                              "(550 5.1.1 No such user here)")
    assert (deferred.state, deferred.attempts) == ("queued", 1)
    assert "451 4.7.1 Try again later" in deferred.reason
    assert deferred.next_attempt_at > now_utc()
    # The bounced address signs up for another release: the message is suppressed, not sent.
    assert start(app.test_client(), later, email=gone, intent="remind").status_code == 302
    del inbox.refuse[gone]
    time_passes(app, later)
    work(app)
    (row,) = ledger(app, later)
    assert row.state == "suppressed" and "(bounced)" in row.reason
    assert inbox.to(gone) == []


def test_two_automations_at_once_send_one_message_that_day(app, smtp_server, active_release):
    inbox = smtp_server()
    slug = active_release()
    email = remind_me(app, slug)
    with ctx(app) as session:
        fan = session.scalars(select(Fan).where(Fan.email == email)).one()
        release = session.scalars(select(Release).where(Release.slug == slug)).one()
        assert automations.queue(ITS_OUT, release, fan, "spotify") is not None
        session.commit()
    time_passes(app, slug)
    work(app)
    assert len(inbox.to(email)) == 1
    states = sorted((row.message.kind, row.state) for row in ledger(app, slug))
    assert [state for _, state in states].count("sent") == 1
    (cancelled,) = [row for row in ledger(app, slug) if row.state == "cancelled"]
    assert cancelled.reason == "the fan already got a message about this release today"


@pytest.fixture
def texts(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_PROVIDER", SMS_PATH)
    RecordingSms.sent.clear()
    return RecordingSms.sent


def texting_fan(app, slug, zone, at):
    """A fan in ``zone`` who left only a phone and ticked the SMS box, told at ``at`` that the
    release is out."""
    phone = f"+1212555{uuid.uuid4().int % 10000:04d}"
    with ctx(app) as session, frozen(at):
        release = session.scalars(select(Release).where(Release.slug == slug)).one()
        fan = Fan(label_id=release.label_id, artist_id=release.artist_id, phone=phone,
                  timezone=zone)
        session.add(fan)
        session.flush()
        session.add(Consent(fan=fan, fan_id=fan.id, label_id=fan.label_id,
                            artist_id=fan.artist_id, purpose=SMS_MARKETING, wording="Texts"))
        session.flush()
        row = automations.queue(ITS_OUT, release, fan, "spotify", after=at)
        session.commit()
        return phone, row.id


def test_quiet_hours_hold_a_text_until_eight_in_the_fans_zone_across_dst(
        app, active_release, texts):
    slug = active_release()
    # Saturday 13 March 2027, 22:30 in New York (EST, UTC-5); the clocks go forward at 02:00.
    night = datetime(2027, 3, 14, 3, 30, tzinfo=timezone.utc)
    phone, row_id = texting_fan(app, slug, "America/New_York", night)
    (row,) = [r for r in ledger(app, slug) if r.id == row_id]

    def send_at(moment):  # this message's batch only: other tests' rows stay out of 2027
        with frozen(moment), app.app_context():
            message_jobs.send_batch(row.label_id, row.message_id)
        return [text for to, text in texts if to == phone]

    assert send_at(night + timedelta(minutes=1)) == []
    (row,) = [r for r in ledger(app, slug) if r.id == row_id]
    assert row.state == "queued" and row.attempts == 0
    assert row.reason == "waiting for 08:00 in the fan's time zone (no texts at night)"
    eight_edt = datetime(2027, 3, 14, 12, 0, tzinfo=timezone.utc)  # 08:00 EDT, UTC-4
    assert row.next_attempt_at == eight_edt
    assert send_at(eight_edt - timedelta(minutes=1)) == []
    (text,) = send_at(eight_edt + timedelta(seconds=5))
    assert text == (f"“Flow Song” by Aurora Vale is out now: {BASE}/s/aurora-vale/{slug}/go/"
                    "spotify Reply STOP to opt out.")
    (row,) = [r for r in ledger(app, slug) if r.id == row_id]
    assert row.state == "sent" and row.provider_id.startswith("rec-")


@pytest.mark.parametrize("token", ["", "x" * 5000, "abc.def", "%00", "..%2f..%2f"])
def test_a_mangled_unsubscribe_link_is_a_404(client, token):
    assert client.get(f"/s/aurora-vale/unsubscribe/{token}").status_code in (404, 400)
    assert client.post(f"/s/aurora-vale/unsubscribe/{token}",
                       data={"List-Unsubscribe": "One-Click"}).status_code in (404, 400)


def test_a_signed_link_that_names_no_row_is_a_404(app, client):
    from itsdangerous import URLSafeSerializer

    from app.messaging.unsubscribe import SALT

    signer = URLSafeSerializer(app.config["SECRET_KEY"], salt=SALT)
    for payload in ("1", [1], 10**12, 2**31, True, -1, 0):
        token = signer.dumps(payload)
        assert client.post(f"/s/aurora-vale/unsubscribe/{token}",
                           data={"List-Unsubscribe": "One-Click"}).status_code == 404


def test_a_tracked_link_leads_only_to_its_own_message_links(app, client, smtp_server,
                                                            active_release):
    inbox = smtp_server()
    slug = active_release()
    email = remind_me(app, slug)
    time_passes(app, slug)
    work(app)
    (link,) = tracked_links(inbox.to(email)[0].get_body(("plain",)).get_content())
    path = link.removeprefix(BASE)
    assert client.get(path.replace("aurora-vale", "juniper-kites")).status_code == 404
    assert client.get(path[:-4] + "abcd").status_code == 404
    from itsdangerous import URLSafeSerializer

    from app.messaging.tracking import SALT

    signer = URLSafeSerializer(app.config["SECRET_KEY"], salt=SALT)
    for forged in ([10**12, "page"], [2**31, "stream"], [True, "page"], [1, "https://evil.example"],
                   "page", [1]):
        assert client.get(f"/s/aurora-vale/m/{signer.dumps(forged)}").status_code == 404
