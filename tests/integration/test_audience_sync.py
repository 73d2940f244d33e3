"""Fans into the label's Mailchimp and Klaviyo (the sandbox's stand-ins) and out again: a
pre-save with marketing email consent joins the artist's audience in both with its merge fields
and tags; withdrawing on the fan's page, the email's unsubscribe link and erasure each take the
fan out; a 429 burst delays but loses nothing; the nightly reconciliation puts drift right and
brings home an unsubscribe made in the tool. The admin page connects, checks and syncs."""
import uuid
from datetime import timedelta

import pytest
from rq import SimpleWorker
from sqlalchemy import select

from app.crypto import keyring
from app.extensions import db, queue, redis_connection
from app.jobs import audience_sync
from app.localtime import frozen, now_utc
from app.integrations import mailchimp
from app.integrations.audiences import Member
from app.messaging import suppression
from app.models import Artist, AudienceChange, AudienceConnection, Consent, Fan, Label
from app.models.message import EMAIL
from app.presaves.fan_data import erase
from app.sandbox import klaviyo as klaviyo_sandbox, mailchimp as mailchimp_sandbox, state
from app.tenants.context import Scope, scoped
from tests.fan_journey import sandbox_decision
from tests.own_label import begin, finish, make_label, new_release, own_label  # noqa: F401

OWNER = "owner@northwind.test"


@pytest.fixture
def tools(app, own_label):
    """The own label connected to both tools, an audience each for its artist; (label id,
    artist slug, mailchimp list, klaviyo list)."""
    label_id, artist_slug = own_label
    with app.app_context(), scoped(Scope.label(label_id)):
        artist = db.session.scalars(select(Artist).where(Artist.slug == artist_slug)).one()
        artist.collect_email = "optional"
        lists = {"mailchimp": mailchimp_sandbox.create_list("Allow List fans"),
                 "klaviyo": klaviyo_sandbox.create_list("Allow List fans")}
        keys = {"mailchimp": mailchimp_sandbox.SANDBOX_KEY, "klaviyo": klaviyo_sandbox.SANDBOX_KEY}
        for provider, list_id in lists.items():
            connection = AudienceConnection(label_id=label_id, provider=provider,
                                            lists={str(artist.id): list_id})
            db.session.add(connection)
            db.session.flush()
            connection.set_key(keyring(), keys[provider])
        db.session.commit()
    yield label_id, artist_slug, lists["mailchimp"], lists["klaviyo"]
    with app.app_context():
        for provider in ("mailchimp", "klaviyo"):
            state.clear_faults(provider)


@pytest.fixture
def own_label_two(app):
    """A second label of the test's own (another tenant); (label id, artist slug)."""
    return make_label(app, "Other", "Stranger")


def sync(app):
    with app.app_context():
        SimpleWorker([queue(audience_sync.QUEUE)], connection=redis_connection()).work(burst=True)


def audiences(app, mailchimp_list, klaviyo_list):
    with app.app_context():
        return mailchimp_sandbox.audience(mailchimp_list), klaviyo_sandbox.audience(klaviyo_list)


def consenting_fan(app, page, email=None, name="Ada Lovelace"):
    """A fan pre-saves with email marketing ticked; (their browser, email)."""
    email = email or f"fan-{uuid.uuid4().hex[:8]}@example.com"
    fan, authorize = begin(app, page, email=email, name=name, consent_email_marketing="1")
    finish(fan, authorize)
    return fan, email


def test_a_consenting_fan_joins_both_audiences_with_their_details(app, tools):
    label_id, artist, mailchimp_list, klaviyo_list = tools
    _, page = new_release(app, artist, title="Five Places")
    _, email = consenting_fan(app, page)
    quiet = f"quiet-{uuid.uuid4().hex[:6]}@example.com"
    begin_client, authorize = begin(app, page, email=quiet)  # no marketing consent
    finish(begin_client, authorize)
    sync(app)
    chimp, klav = audiences(app, mailchimp_list, klaviyo_list)
    assert list(chimp) == [email] and list(klav) == [email]
    member = chimp[email]
    assert member["status"] == "subscribed"
    assert member["merge_fields"]["FNAME"] == "Ada" and member["merge_fields"]["LNAME"] == \
        "Lovelace"
    assert member["merge_fields"]["ARTIST"] == "Allow List"
    assert member["merge_fields"]["RELEASE"] == "Five Places"
    assert member["merge_fields"]["PLATFORM"] == "spotify"
    assert set(member["tags"]) >= {"presave", artist, "spotify"}
    assert klav[email]["subscribed"] and klav[email]["properties"]["release"] == "Five Places"


def test_withdrawal_unsubscribes_and_erasure_deletes(app, tools):
    label_id, artist, mailchimp_list, klaviyo_list = tools
    _, page = new_release(app, artist)
    fan, email = consenting_fan(app, page)
    sync(app)
    with app.app_context(), scoped(Scope.label(label_id)):
        consent_id = db.session.scalars(select(Consent.id).join(Fan).where(
            Fan.email == email, Consent.purpose == "email_marketing")).one()
    assert fan.post(f"/s/{artist}/me/consents/{consent_id}/withdraw").status_code == 302
    sync(app)
    chimp, klav = audiences(app, mailchimp_list, klaviyo_list)
    assert chimp[email]["status"] == "unsubscribed" and klav.get(email, {}).get(
        "subscribed") is not True
    with app.app_context(), scoped(Scope.label(label_id)):
        erase(db.session.scalars(select(Fan).where(Fan.email == email)).one())
        db.session.commit()
    sync(app)
    chimp, klav = audiences(app, mailchimp_list, klaviyo_list)
    assert email not in chimp and email not in klav
    with app.app_context():
        assert klaviyo_sandbox.profile(email) is None
    with app.app_context(), scoped(Scope.label(label_id)):
        rows = db.session.scalars(select(AudienceChange).order_by(AudienceChange.id)).all()
        assert {(r.action, r.state) for r in rows} == {("upsert", "done"),
                                                        ("unsubscribe", "done"),
                                                        ("delete", "done")}
        assert all(r.email_sealed is None for r in rows)  # no address left behind


def test_the_unsubscribe_link_takes_the_fan_out(app, tools):
    label_id, artist, mailchimp_list, klaviyo_list = tools
    _, page = new_release(app, artist)
    _, email = consenting_fan(app, page)
    sync(app)
    with app.app_context(), scoped(Scope.label(label_id)):
        fan_row = db.session.scalars(select(Fan).where(Fan.email == email)).one()
        suppression.withdraw_channel(fan_row, EMAIL, "email unsubscribe link")
        db.session.commit()
    sync(app)
    chimp, _ = audiences(app, mailchimp_list, klaviyo_list)
    assert chimp[email]["status"] == "unsubscribed"


def test_a_429_burst_delays_but_loses_nothing(app, tools):
    label_id, artist, mailchimp_list, klaviyo_list = tools
    _, page = new_release(app, artist)
    with app.app_context():
        for provider in ("mailchimp", "klaviyo"):
            state.set_faults(provider, rate_429=1.0, retry_after=30)
    emails = [consenting_fan(app, page)[1] for _ in range(3)]
    start = now_utc()
    with frozen(start):
        sync(app)
    assert audiences(app, mailchimp_list, klaviyo_list) == ({}, {})
    with app.app_context(), scoped(Scope.label(label_id)):
        waiting = db.session.scalars(select(AudienceChange)).all()
        assert {r.state for r in waiting} == {"pending"}
        assert all(r.next_attempt_at >= start + timedelta(seconds=30) for r in waiting)
        assert all("429" in (r.last_error or "") or "Too Many" in (r.last_error or "")
                   or "throttled" in (r.last_error or "").lower() for r in waiting)
    with app.app_context():
        for provider in ("mailchimp", "klaviyo"):
            state.clear_faults(provider)
    with frozen(start + timedelta(seconds=10)), app.app_context():
        queue(audience_sync.QUEUE).enqueue(audience_sync.sweep, None)
    with frozen(start + timedelta(seconds=10)):
        sync(app)
    assert audiences(app, mailchimp_list, klaviyo_list) == ({}, {})  # not before its time
    with frozen(start + timedelta(seconds=45)), app.app_context():
        queue(audience_sync.QUEUE).enqueue(audience_sync.sweep, None)
    with frozen(start + timedelta(seconds=45)):
        sync(app)
    chimp, klav = audiences(app, mailchimp_list, klaviyo_list)
    assert sorted(chimp) == sorted(emails) == sorted(klav)


def test_reconciliation_puts_drift_right_and_brings_unsubscribes_home(app, tools, login):
    label_id, artist, mailchimp_list, klaviyo_list = tools
    _, page = new_release(app, artist)
    _, kept = consenting_fan(app, page)
    _, lost = consenting_fan(app, page)
    _, left = consenting_fan(app, page)
    sync(app)
    with app.app_context():
        mailchimp.delete_permanently(mailchimp_sandbox.SANDBOX_KEY, mailchimp_list, lost)
        mailchimp.unsubscribe(mailchimp_sandbox.SANDBOX_KEY, mailchimp_list, [left])
    with app.app_context():
        queue(audience_sync.QUEUE).enqueue(audience_sync.reconcile, label_id)
    sync(app)
    chimp, _ = audiences(app, mailchimp_list, klaviyo_list)
    assert chimp[kept]["status"] == "subscribed"
    assert lost not in chimp  # Mailchimp refuses to bring back a permanently deleted address
    assert chimp[left]["status"] == "unsubscribed"
    with app.app_context(), scoped(Scope.label(label_id)):
        withdrawn = db.session.scalars(select(Consent).join(Fan).where(
            Fan.email == left, Consent.purpose == "email_marketing")).one()
        assert withdrawn.withdrawn_at is not None
        assert withdrawn.withdrawn_via == "unsubscribed in Mailchimp"
        connection = db.session.scalars(select(AudienceConnection).where(
            AudienceConnection.provider == "mailchimp")).one()
        assert connection.reconciled_at is not None


def test_the_admin_page_connects_checks_and_keeps_the_key_sealed(app, login):
    with app.app_context(), scoped(Scope.platform("test")):
        label_id = db.session.scalars(select(Label.id).where(Label.slug == "northwind")).one()
        artist_id = db.session.scalars(select(Artist.id).where(
            Artist.slug == "aurora-vale")).one()
        list_id = mailchimp_sandbox.create_list("Aurora Vale fans")
    admin = login(OWNER)
    try:
        bad = admin.post("/email-tools/mailchimp/save", data={"api_key": "x",
                                                              f"list_{artist_id}": "a b"})
        assert bad.status_code == 422 and "one word" in bad.get_data(as_text=True)
        saved = admin.post("/email-tools/mailchimp/save", data={
            "api_key": mailchimp_sandbox.SANDBOX_KEY, f"list_{artist_id}": list_id})
        assert saved.status_code == 302
        checked = admin.post("/email-tools/mailchimp/check", follow_redirects=True)
        assert "Mailchimp works: “Aurora Vale fans”" in checked.get_data(as_text=True)
        page = admin.get("/email-tools/").get_data(as_text=True)
        assert mailchimp_sandbox.SANDBOX_KEY not in page and list_id in page
        with app.app_context(), scoped(Scope.label(label_id)):
            row = db.session.scalars(select(AudienceConnection)).one()
            assert mailchimp_sandbox.SANDBOX_KEY not in row.api_key_sealed
        admin.post("/email-tools/mailchimp/save", data={"api_key": "wrong-us0",
                                                        f"list_{artist_id}": list_id})
        refused = admin.post("/email-tools/mailchimp/check", follow_redirects=True)
        assert "Mailchimp answered" in refused.get_data(as_text=True)
        assert "wrong-us0" not in refused.get_data(as_text=True)
        assert login("staff@northwind.test").get("/email-tools/").status_code in (302, 403)
    finally:
        with app.app_context(), scoped(Scope.platform("test")):
            for row in db.session.scalars(select(AudienceConnection).where(
                    AudienceConnection.label_id == label_id)):
                db.session.delete(row)
            db.session.commit()


def test_another_labels_artist_id_never_fills_an_audience(app, tools, own_label_two):
    label_id, artist, mailchimp_list, klaviyo_list = tools
    other_label, other_artist = own_label_two
    with app.app_context(), scoped(Scope.platform("test")):
        stranger = db.session.scalars(select(Artist.id).where(Artist.slug == other_artist)).one()
        connection = db.session.scalars(select(AudienceConnection).where(
            AudienceConnection.label_id == label_id,
            AudienceConnection.provider == "mailchimp")).one()
        connection.lists = {str(stranger): mailchimp_list}  # e.g. an id reused after a delete
        db.session.commit()
        connection_id = connection.id
    _, page = new_release(app, other_artist)
    consenting_fan(app, page)
    with app.app_context():
        queue(audience_sync.QUEUE).enqueue(audience_sync.reconcile, None)
    sync(app)
    chimp, _ = audiences(app, mailchimp_list, klaviyo_list)
    assert chimp == {}
    with app.app_context(), scoped(Scope.platform("test")):
        assert db.session.get(AudienceConnection, connection_id).lists == {}


def test_an_erasure_waits_for_a_working_key_and_then_deletes(app, tools):
    label_id, artist, mailchimp_list, klaviyo_list = tools
    _, page = new_release(app, artist)
    _, email = consenting_fan(app, page)
    sync(app)
    with app.app_context(), scoped(Scope.label(label_id)):
        connection = db.session.scalars(select(AudienceConnection).where(
            AudienceConnection.provider == "mailchimp")).one()
        connection.set_key(keyring(), "wrong0000000000000000000000000000-us0")
        erase(db.session.scalars(select(Fan).where(Fan.email == email)).one())
        db.session.commit()
        connection_id = connection.id
    start = now_utc()
    with frozen(start):
        sync(app)
    with app.app_context(), scoped(Scope.label(label_id)):
        waiting = db.session.scalars(select(AudienceChange).where(
            AudienceChange.action == "delete",
            AudienceChange.connection_id == connection_id)).one()
        assert waiting.state == "pending" and waiting.email_sealed  # kept until it is done
        connection = db.session.get(AudienceConnection, connection_id)
        assert "refused the API key" in connection.last_error
        connection.set_key(keyring(), mailchimp_sandbox.SANDBOX_KEY)
        db.session.commit()
    with frozen(start + timedelta(hours=7)), app.app_context():
        queue(audience_sync.QUEUE).enqueue(audience_sync.sweep, None)
    with frozen(start + timedelta(hours=7)):
        sync(app)
    chimp, _ = audiences(app, mailchimp_list, klaviyo_list)
    assert email not in chimp


def test_a_new_address_joins_and_the_old_one_leaves(app, tools):
    label_id, artist, mailchimp_list, klaviyo_list = tools
    _, first = new_release(app, artist)
    fan, old = consenting_fan(app, first)
    sync(app)
    _, second = new_release(app, artist, title="Second Song")
    new = f"new-{uuid.uuid4().hex[:8]}@example.com"
    going = fan.post(second + "/presave", data={"platform": "spotify", "email": new,
                                                "name": "", "phone": "",
                                                "consent_email_marketing": "1"})
    if "/sandbox/spotify/authorize" in going.headers["Location"]:
        fan.get(sandbox_decision(fan, going.headers["Location"]))
    sync(app)
    chimp, _ = audiences(app, mailchimp_list, klaviyo_list)
    assert chimp[old]["status"] == "unsubscribed" and chimp[new]["status"] == "subscribed"


def test_a_member_mailchimp_refuses_is_a_failed_change_with_its_reason(app, tools):
    label_id, artist, mailchimp_list, klaviyo_list = tools
    _, page = new_release(app, artist)
    email = f"gone-{uuid.uuid4().hex[:8]}@example.com"
    with app.app_context():
        mailchimp.ensure_merge_fields(mailchimp_sandbox.SANDBOX_KEY, mailchimp_list)
        mailchimp.upsert(mailchimp_sandbox.SANDBOX_KEY, mailchimp_list,
                         [Member(email=email, artist="Allow List")])
        mailchimp.delete_permanently(mailchimp_sandbox.SANDBOX_KEY, mailchimp_list, email)
    consenting_fan(app, page, email=email)
    sync(app)
    with app.app_context(), scoped(Scope.label(label_id)):
        rows = db.session.scalars(select(AudienceChange).join(AudienceConnection).where(
            AudienceConnection.provider == "mailchimp")).all()
        assert [(r.action, r.state) for r in rows] == [("upsert", "failed")]
        assert "permanently deleted" in rows[0].last_error
