"""Signed webhooks, end to end: a label admin adds an endpoint (Account → Webhooks), things
happen (a fan pre-saves, withdraws, is erased; a release comes out; release day saves), a real
RQ worker sends each event to a real HTTP receiver on 127.0.0.1, which checks every signature
with the convention's algorithm; failures are retried, logged, replayed and, after a day,
turn the endpoint off and tell the label's admins."""
import json
from datetime import timedelta

import pytest
from rq import SimpleWorker
from sqlalchemy import select

from app.crypto import keyring
from app.extensions import db, queue, redis_connection
from app.jobs import webhooks as webhook_jobs
from app.localtime import frozen, now_utc
from app.models import (Consent, Fan, Label, PreSave, Release, WebhookDelivery,
                        WebhookEndpoint)
from app.models.fan import ON_FAN_PAGE
from app.releases import rules
from app.tenants.context import Scope, scoped
from app.webhooks import endpoints, events
from tests.own_label import begin, finish, new_release, own_label  # noqa: F401
from tests.release_day_runs import (manual_link, on_platform, over_http,  # noqa: F401
                                    release_now, run_release_day)
from tests.smtp_server import smtp_server  # noqa: F401
from tests.webhook_receiver import receiver, signature_ok  # noqa: F401

OWNER = "owner@northwind.test"
STAFF = "staff@northwind.test"


def add_endpoint(app, label_id, url, wanted=tuple(events.TYPES)):
    """An endpoint made as the admin page makes it; (id, secret)."""
    with app.app_context(), scoped(Scope.label(label_id)):
        endpoint = endpoints.create(label_id, url, list(wanted), actor="test")
        db.session.commit()
        return endpoint.id, endpoint.secret(keyring())


def send(app):
    """A real RQ worker on the webhooks queue, in this process (and so on this clock)."""
    with app.app_context():
        SimpleWorker([queue(events.QUEUE)], connection=redis_connection()).work(burst=True)


def sweep(app):
    with app.app_context():
        queue(events.QUEUE).enqueue(webhook_jobs.sweep, None)
    send(app)


def deliveries(app, endpoint_id):
    with app.app_context(), scoped(Scope.platform("test")):
        return [(d.event_type, d.state, d.attempts, len(d.tries)) for d in db.session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
            .order_by(WebhookDelivery.id))]


def types(received):
    return [r.json["type"] for r in received]


def test_a_presave_reaches_the_endpoint_signed(app, own_label, receiver):
    label_id, artist = own_label
    endpoint_id, secret = add_endpoint(app, label_id, receiver.url)
    _, page = new_release(app, artist)
    fan, authorize = begin(app, page)
    finish(fan, authorize)
    send(app)
    (got,) = receiver.requests
    assert signature_ok(secret, got)
    assert got.path == "/hooks/presave" and got.headers["content-type"] == "application/json"
    assert got.headers["webhook-id"].startswith("msg_")
    assert abs(int(got.headers["webhook-timestamp"]) - now_utc().timestamp()) < 120
    body = got.json
    assert body["type"] == "presave.created"
    assert body["data"]["presave"]["platform"] == "spotify"
    assert body["data"]["release"]["url"].endswith(page)
    assert set(body["data"]["fan"]) == {"id", "country"}  # no contact details leave
    assert deliveries(app, endpoint_id) == [("presave.created", "delivered", 1, 1)]
    send(app)
    assert len(receiver.requests) == 1  # nothing is sent twice


def test_only_the_subscribed_events_go_to_each_endpoint(app, own_label, receiver):
    label_id, artist = own_label
    add_endpoint(app, label_id, receiver.url, ["release.released"])
    release_id, page = new_release(app, artist)
    fan, authorize = begin(app, page)
    finish(fan, authorize)
    send(app)
    assert receiver.requests == []
    with app.app_context(), scoped(Scope.label(label_id)):
        rules.release_now(db.session.get(Release, release_id), "test")
    send(app)
    assert types(receiver.requests) == ["release.released"]
    assert receiver.requests[0].json["data"]["release"]["status"] == "released"


def test_release_day_outcomes_are_sent(app, own_label, receiver, over_http):
    label_id, artist = own_label
    endpoint_id, secret = add_endpoint(app, label_id, receiver.url,
                                       ["presave.delivered", "presave.failed"])
    release_id, page = new_release(app, artist)
    with app.app_context(), scoped(Scope.platform("test")):
        slug = db.session.get(Release, release_id).slug
    fan, authorize = begin(app, page)
    finish(fan, authorize)
    isrc, item = on_platform("spotify")
    release_now(app, slug, isrc=isrc)
    manual_link(app, release_id, "spotify", item)
    run_release_day(app, label_id, release_id)
    send(app)
    assert types(receiver.requests) == ["presave.delivered"]
    assert all(signature_ok(secret, r) for r in receiver.requests)
    assert receiver.requests[0].json["data"]["presave"]["state"] == "delivered"


def test_withdrawal_and_erasure_are_sent(app, own_label, receiver):
    label_id, artist = own_label
    add_endpoint(app, label_id, receiver.url, ["fan.unsubscribed", "fan.erased"])
    _, page = new_release(app, artist)
    fan, authorize = begin(app, page)
    finish(fan, authorize)
    with app.app_context(), scoped(Scope.platform("test")):
        fan_row = db.session.scalars(select(Fan).join(PreSave, PreSave.fan_id == Fan.id).where(
            PreSave.label_id == label_id)).one()
        fan_id = fan_row.id
        consent = Consent(fan_id=fan_id, label_id=label_id, artist_id=fan_row.artist_id,
                          purpose="email_marketing", wording="Send me news")
        db.session.add(consent)
        db.session.commit()
        consent_id = consent.id
    assert fan.post(f"/s/{artist}/me/consents/{consent_id}/withdraw").status_code == 302
    assert fan.post(f"/s/{artist}/me/erase", data={"understood": "1"}).status_code == 200
    send(app)
    assert types(receiver.requests) == ["fan.unsubscribed", "fan.erased"]
    unsubscribed, erased = (r.json["data"] for r in receiver.requests)
    assert unsubscribed["fan"]["id"] == fan_id and unsubscribed["channel"] == "email"
    assert unsubscribed["via"] == ON_FAN_PAGE and unsubscribed["purposes"] == ["email_marketing"]
    assert erased["fan"]["id"] == fan_id and erased["erased_at"]


def test_a_failing_receiver_gets_the_event_exactly_once_more(app, own_label, receiver):
    label_id, _ = own_label
    endpoint_id, secret = add_endpoint(app, label_id, receiver.url)
    receiver.script = [500, 500, 500, 200]
    start = now_utc()
    with frozen(start), app.app_context(), scoped(Scope.label(label_id)):
        events.test_event(db.session.get(WebhookEndpoint, endpoint_id), "test")
        db.session.commit()
    moments = [start, start + timedelta(seconds=10), start + timedelta(minutes=3),
               start + timedelta(minutes=15), start + timedelta(hours=1),
               start + timedelta(hours=3)]
    for moment in moments:
        with frozen(moment):
            sweep(app)
    assert [r.headers["webhook-id"] for r in receiver.requests] == \
        [receiver.requests[0].headers["webhook-id"]] * 4
    assert all(signature_ok(secret, r) for r in receiver.requests)
    assert deliveries(app, endpoint_id) == [("webhook.test", "delivered", 4, 4)]
    with app.app_context(), scoped(Scope.platform("test")):
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        assert endpoint.active and endpoint.failing_since is None
        statuses = [a.status for a in db.session.scalars(select(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == endpoint_id)).one().tries]
    assert statuses == [500, 500, 500, 200]


def test_a_day_of_failures_turns_the_endpoint_off_and_tells_the_admins(
        app, login, receiver, smtp_server):
    inbox = smtp_server()
    with app.app_context(), scoped(Scope.platform("test")):
        label_id = db.session.scalars(select(Label.id).where(Label.slug == "northwind")).one()
    endpoint_id, _ = add_endpoint(app, label_id, receiver.url)
    try:
        receiver.script = [503] * 20
        start = now_utc()
        with frozen(start), app.app_context(), scoped(Scope.label(label_id)):
            events.test_event(db.session.get(WebhookEndpoint, endpoint_id), "test")
            db.session.commit()
        for hours in (0, 0.01, 0.1, 0.5, 2, 5, 12, 25):
            with frozen(start + timedelta(hours=hours)):
                sweep(app)
        with app.app_context(), scoped(Scope.platform("test")):
            endpoint = db.session.get(WebhookEndpoint, endpoint_id)
            assert not endpoint.active and "Failing since" in endpoint.disabled_reason
        (message,) = inbox.to(OWNER)
        assert "was turned off" in message["Subject"] and receiver.url in message.get_content()
        assert inbox.to(STAFF) == []  # label admins only
        tried = len(receiver.requests)
        with frozen(start + timedelta(hours=30)):
            sweep(app)
        assert len(receiver.requests) == tried  # nothing more goes to an endpoint that is off
        page = login(OWNER).get(f"/webhooks/{endpoint_id}").get_data(as_text=True)
        assert "Turned off" in page and "503" in page
    finally:
        with app.app_context(), scoped(Scope.platform("test")):
            db.session.delete(db.session.get(WebhookEndpoint, endpoint_id))
            db.session.commit()


def test_replay_sends_the_same_id_with_a_new_timestamp(app, login, receiver):
    with app.app_context(), scoped(Scope.platform("test")):
        label_id = db.session.scalars(select(Label.id).where(Label.slug == "northwind")).one()
    admin = login(OWNER)
    made = admin.post("/webhooks/add", data={"url": receiver.url, "description": "CRM",
                                             "events": ["fan.erased", "release.released"]})
    assert made.status_code == 302
    endpoint_id = int(made.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    try:
        page = admin.get(f"/webhooks/{endpoint_id}").get_data(as_text=True)
        with app.app_context(), scoped(Scope.platform("test")):
            endpoint = db.session.get(WebhookEndpoint, endpoint_id)
            secret = endpoint.secret(keyring())
            assert endpoint.events == ["release.released", "fan.erased"]
        assert secret in page and secret.startswith("whsec_")
        start = now_utc()
        with frozen(start):
            assert admin.post(f"/webhooks/{endpoint_id}/test").status_code == 302
            send(app)
        with app.app_context(), scoped(Scope.platform("test")):
            delivery_id = db.session.scalars(select(WebhookDelivery.id).where(
                WebhookDelivery.endpoint_id == endpoint_id)).one()
        with frozen(start + timedelta(minutes=7)):
            assert admin.post(f"/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay"
                              ).status_code == 302
            send(app)
        first, again = receiver.requests
        assert first.json["type"] == "webhook.test" and first.body == again.body
        assert first.headers["webhook-id"] == again.headers["webhook-id"]
        assert int(again.headers["webhook-timestamp"]) - \
            int(first.headers["webhook-timestamp"]) == 420
        assert signature_ok(secret, first) and signature_ok(secret, again)
        log = admin.get(f"/webhooks/{endpoint_id}").get_data(as_text=True)
        assert log.count('data-status="200"') == 2
    finally:
        admin.post(f"/webhooks/{endpoint_id}/delete")
    with app.app_context(), scoped(Scope.platform("test")):
        assert db.session.get(WebhookEndpoint, endpoint_id) is None
        assert db.session.scalars(select(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == endpoint_id)).all() == []
    assert label_id


@pytest.mark.parametrize("url, message", [
    ("http://127.0.0.1:9/hook", "Endpoints must use https://"),
    ("https://127.0.0.1/hook", "not a public address"),
    ("https://10.1.2.3/hook", "not a public address"),
    ("https://169.254.169.254/latest/meta-data", "not a public address"),
    ("https://[::1]/hook", "not a public address"),
    ("https://localhost/hook", "not a public address"),
    ("ftp://example.com/hook", "starting with https://"),
    ("https://user:pw@example.com/hook", "without a user name"),
    ("https://example.com/a b", "one line"),
    ("", "Give the endpoint’s URL"),
])
def test_production_refuses_what_is_not_public_https(app, login, monkeypatch, url, message):
    monkeypatch.setitem(app.config, "WEBHOOKS_REQUIRE_HTTPS", True)
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", False)
    with app.app_context(), scoped(Scope.platform("test")):
        before = db.session.scalars(select(WebhookEndpoint.id)).all()
    answer = login(OWNER).post("/webhooks/add", data={"url": url, "events": ["fan.erased"]})
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    with app.app_context(), scoped(Scope.platform("test")):
        assert db.session.scalars(select(WebhookEndpoint.id)).all() == before


def test_production_never_connects_to_a_loopback_receiver(app, own_label, receiver,
                                                           monkeypatch):
    label_id, _ = own_label
    endpoint_id, _ = add_endpoint(app, label_id, receiver.url)  # stored under development
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", False)
    with app.app_context(), scoped(Scope.label(label_id)):
        events.test_event(db.session.get(WebhookEndpoint, endpoint_id), "test")
        db.session.commit()
    send(app)
    assert receiver.requests == []
    with app.app_context(), scoped(Scope.platform("test")):
        (delivery,) = db.session.scalars(select(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == endpoint_id)).all()
        assert delivery.state == "pending" and "not a public address" in delivery.last_error
        assert delivery.tries[0].status is None


def test_the_form_says_what_is_wrong_and_keeps_nothing(app, login):
    admin = login(OWNER)
    answer = admin.post("/webhooks/add", data={"url": "https://example.com/h", "events": []})
    assert answer.status_code == 422 and "Choose at least one event" in answer.get_data(
        as_text=True)
    answer = admin.post("/webhooks/add", data={"url": "https://example.com/h",
                                               "events": ["presave.exploded"]})
    assert answer.status_code == 422 and "Unknown events" in answer.get_data(as_text=True)


@pytest.mark.parametrize("email", [STAFF, "artist@northwind.test"])
def test_only_label_admins_manage_webhooks(app, login, email):
    client = login(email)
    assert client.get("/webhooks/").status_code in (302, 403)
    answer = client.post("/webhooks/add", data={"url": "https://example.com/h",
                                                "events": ["fan.erased"]})
    assert answer.status_code in (302, 403)
    with app.app_context(), scoped(Scope.platform("test")):
        assert db.session.scalars(select(WebhookEndpoint).where(
            WebhookEndpoint.url == "https://example.com/h")).all() == []


def test_a_body_is_the_json_it_says(app, own_label, receiver):
    label_id, _ = own_label
    endpoint_id, _ = add_endpoint(app, label_id, receiver.url)
    with app.app_context(), scoped(Scope.label(label_id)):
        events.test_event(db.session.get(WebhookEndpoint, endpoint_id), "ops@label.test")
        db.session.commit()
    send(app)
    body = json.loads(receiver.requests[0].body)
    assert body["type"] == "webhook.test" and body["data"]["sent_by"] == "ops@label.test"
