"""Coming Soon's "Tell me when pre-save opens": the tap, the one short step, and the message at
the opening instant (the Pre-save opens automation), handed over by the reconciler's job and
sent on a real RQ worker through a real SMTP server."""
import re
from datetime import timedelta

from sqlalchemy import select, update

from app.extensions import db
from app.localtime import now_utc
from app.models import Consent, Fan, OpeningNotice, Release
from app.tenants.context import Scope, scoped
from tests.fan_journey import coming_soon, page
from tests.lifecycle import run_the_clock
from tests.message_runs import follow, tracked_links

BASE = "http://presave.test"


def ask(client, slug, **form):
    return client.post(page(slug) + "/notify", data={"step": "details", **form})


def opens_now(app, slug):
    """The opening instant has passed (the release still announced: no job ran yet)."""
    with app.app_context(), scoped(Scope.platform("test")):
        db.session.execute(update(Release).where(Release.slug == slug).values(
            presave_opens_at=now_utc() - timedelta(minutes=1)))
        db.session.commit()


def notice_of(app, email):
    with app.app_context(), scoped(Scope.platform()):
        fan = db.session.scalars(select(Fan).where(Fan.email == email)).one()
        notice = db.session.scalars(select(OpeningNotice).where(
            OpeningNotice.fan_id == fan.id)).one()
        consents = db.session.scalars(select(Consent).where(Consent.fan_id == fan.id)).all()
        return notice.state, notice.last_error, notice.next_attempt_at, \
            [(c.purpose, c.wording) for c in consents]


def test_the_tap_opens_one_short_step_and_refusals_stay_inline(client, app, unique):
    slug = coming_soon(app, unique)
    shown = client.get(page(slug)).get_data(as_text=True)
    assert "Tell me when pre-save opens" in shown
    step = client.post(page(slug) + "/notify", data={})
    text = step.get_data(as_text=True)
    assert step.status_code == 200 and '<h1 class="step-title">Tell me when pre-save opens' in text
    assert re.search(r'<input id="f-email" name="email" type="email"', text)
    assert re.search(r'id="c-consent_presave_opens"[^>]* required', text)
    assert "Northwind Records holds your details" in text
    email = f"{unique('ada')}@example.com"  # no other test's fan has it
    unticked = ask(client, slug, email=email)
    assert unticked.status_code == 422
    assert "Tick the box so we may send you this one message" in unticked.get_data(as_text=True)
    bad = ask(client, slug, email="ada@", consent_presave_opens="1")
    assert bad.status_code == 422 and "doesn&#39;t look right" in bad.get_data(as_text=True)
    assert 'value="ada@"' in bad.get_data(as_text=True)
    with app.app_context(), scoped(Scope.platform()):
        assert not db.session.scalars(select(Fan).where(Fan.email.in_(
            [email, "ada@"]))).all()


def test_the_message_goes_once_at_the_opening_instant(client, app, unique, smtp_server):
    inbox = smtp_server()
    slug, email = coming_soon(app, unique), f"{unique('soon')}@example.com"
    done = ask(client, slug, email=email, consent_presave_opens="1")
    assert done.status_code == 302
    again = client.get(page(slug)).get_data(as_text=True)
    assert "You&#39;re on the list: we&#39;ll email you once when the pre-save opens." in again
    assert "we'll tell you when the pre-save opens" in again and "notify-button" not in again
    state, _, _, consents = notice_of(app, email)
    assert state == "pending"
    assert consents == [("presave_opens", "Tell me once when pre-save opens for “Harbour Song”.")]
    run_the_clock(app)
    assert inbox.to(email) == [], "not before the instant"
    opens_now(app, slug)
    run_the_clock(app)
    (message,) = inbox.to(email)
    assert message["Subject"] == "Pre-save “Harbour Song” by Aurora Vale now"
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert follow(app, tracked_links(body)[0]) == f"{BASE}/s/aurora-vale/{slug}"
    assert message["List-Unsubscribe"].startswith(f"<{BASE}/s/aurora-vale/unsubscribe/")
    assert notice_of(app, email)[0] == "sent"
    run_the_clock(app)
    assert len(inbox.to(email)) == 1


def test_without_email_set_up_the_notice_waits_with_its_reason(client, app, unique):
    slug, email = coming_soon(app, unique), f"{unique('wait')}@example.com"
    ask(client, slug, email=email, consent_presave_opens="1")
    opens_now(app, slug)
    run_the_clock(app)
    state, reason, retry_at, _ = notice_of(app, email)
    assert state == "pending" and "email is not set up" in reason
    assert retry_at > now_utc() + timedelta(minutes=50)


def test_a_withdrawn_ask_is_not_sent(client, app, unique, smtp_server):
    inbox = smtp_server()
    slug, email = coming_soon(app, unique), f"{unique('nope')}@example.com"
    ask(client, slug, email=email, consent_presave_opens="1")
    me = client.get("/s/aurora-vale/me").get_data(as_text=True)
    withdraw = re.search(r'action="(/s/aurora-vale/me/consents/\d+/withdraw)"', me).group(1)
    assert client.post(withdraw).status_code == 302
    opens_now(app, slug)
    run_the_clock(app)
    assert inbox.to(email) == [] and notice_of(app, email)[0] == "cancelled"


def test_once_open_the_ask_points_to_the_pre_save_and_a_bot_is_dropped(client, app, unique,
                                                                       active_release):
    open_slug = active_release()
    late = ask(client, open_slug, email="late@example.com", consent_presave_opens="1")
    assert late.status_code == 302
    assert "The pre-save is open" in client.get(page(open_slug)).get_data(as_text=True)
    slug = coming_soon(app, unique)
    bot = ask(client, slug, email="bot@example.com", consent_presave_opens="1",
              website="http://spam.example")
    assert bot.status_code == 302
    with app.app_context(), scoped(Scope.platform()):
        assert not db.session.scalars(select(Fan).where(Fan.email.in_(
            ["late@example.com", "bot@example.com"]))).all()
