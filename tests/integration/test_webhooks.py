"""Signed webhooks, end to end: a label admin adds an endpoint (Account → Webhooks), things
happen (a fan pre-saves, withdraws, is erased; a release comes out; release day saves), a real
RQ worker sends each event to a real HTTP receiver on 127.0.0.1, which checks every signature
with the convention's algorithm; failures are retried, logged, replayed and, after a day,
turn the endpoint off and tell the label's admins."""
import json
import socket
import threading
import time
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

import pytest
from rq import SimpleWorker
from sqlalchemy import select

from app.crypto import keyring
from app.extensions import db, queue, redis_connection
from app.jobs import webhooks as webhook_jobs
from app.localtime import frozen, now_utc
from app.models import (Consent, Fan, Label, PreSave, Release, WebhookAttempt,
                        WebhookDelivery, WebhookEndpoint)
from app.models.fan import ON_FAN_PAGE
from app.releases import rules
from app.tenants.context import Scope, scoped
from app.webhooks import endpoints, events, sending
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


def queue_test_event(app, label_id, endpoint_id, at=None, actor="test"):
    """A "webhook.test" event for the endpoint, as its page's button makes it (at ``at``)."""
    with frozen(at) if at else nullcontext(), app.app_context(), \
            scoped(Scope.label(label_id)):
        events.test_event(db.session.get(WebhookEndpoint, endpoint_id), actor)
        db.session.commit()


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
    queue_test_event(app, label_id, endpoint_id, at=start)
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
        queue_test_event(app, label_id, endpoint_id, at=start)
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
    # IPv6 forms that carry an IPv4 address: NAT64, 6to4, IPv4-compatible, Teredo, mapped
    ("https://[64:ff9b::a9fe:a9fe]/hook", "not a public address"),
    ("https://[2002:a9fe:a9fe::1]/hook", "not a public address"),
    ("https://[::127.0.0.1]/hook", "not a public address"),
    ("https://[2001:0:4136:e378:8000:63bf:5601:5601]/hook", "not a public address"),
    ("https://[::ffff:10.0.0.1]/hook", "not a public address"),
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
    queue_test_event(app, label_id, endpoint_id)
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
    queue_test_event(app, label_id, endpoint_id, actor="ops@label.test")
    send(app)
    body = json.loads(receiver.requests[0].body)
    assert body["type"] == "webhook.test" and body["data"]["sent_by"] == "ops@label.test"


def last_attempt(app, endpoint_id):
    """The endpoint's newest attempt: (status, error, excerpt, answer_ms)."""
    with app.app_context(), scoped(Scope.platform("test")):
        attempt = db.session.scalars(
            select(WebhookAttempt).join(WebhookDelivery,
                                        WebhookDelivery.id == WebhookAttempt.delivery_id)
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .order_by(WebhookAttempt.id.desc()).limit(1)).one()
        return attempt.status, attempt.error, attempt.excerpt, attempt.answer_ms


def endpoint_state(app, endpoint_id):
    """(active, failing_since) of the endpoint."""
    with app.app_context(), scoped(Scope.platform("test")):
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        return endpoint.active, endpoint.failing_since


def test_a_row_whose_attempt_raises_does_not_hold_up_the_others(app, own_label, receiver):
    label_id, _ = own_label
    broken_id, _ = add_endpoint(app, label_id, receiver.url)
    working_id, _ = add_endpoint(app, label_id, receiver.url)
    with app.app_context(), scoped(Scope.platform("test")):
        db.session.get(WebhookEndpoint, broken_id).secret_sealed = "v1.gone.AAAA"  # key lost
        db.session.commit()
    start = now_utc()
    queue_test_event(app, label_id, broken_id, at=start)  # claimed first: due first
    queue_test_event(app, label_id, working_id, at=start + timedelta(seconds=1))
    with frozen(start + timedelta(minutes=1)):
        send(app)
    assert deliveries(app, working_id) == [("webhook.test", "delivered", 1, 1)]
    assert len(receiver.requests) == 1
    with app.app_context(), scoped(Scope.platform("test")):
        broken = db.session.scalars(select(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == broken_id)).one()
        assert (broken.state, broken.attempts, broken.lease_token) == ("pending", 1, None)
        assert broken.last_error == "internal error: DecryptError"
        assert broken.next_attempt_at == start + timedelta(minutes=1, hours=1)
        assert broken.tries == []  # what the attempt wrote was undone


def test_a_host_in_another_script_is_sent_in_punycode(app, own_label, receiver, monkeypatch):
    label_id, _ = own_label
    port = receiver.server.server_port
    resolve = socket.getaddrinfo

    def as_dns_would(host, *args, **kwargs):
        return resolve("127.0.0.1" if host == "xn--bcher-kva.example" else host, *args,
                       **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", as_dns_would)
    endpoint_id, secret = add_endpoint(app, label_id, f"http://bücher.example:{port}/hook")
    queue_test_event(app, label_id, endpoint_id)
    send(app)
    (got,) = receiver.requests
    assert got.headers["host"] == f"xn--bcher-kva.example:{port}" and signature_ok(secret, got)
    assert deliveries(app, endpoint_id) == [("webhook.test", "delivered", 1, 1)]


def test_an_unexpected_error_while_sending_is_a_failed_attempt_naming_only_its_type(
        app, own_label, receiver, monkeypatch):
    label_id, _ = own_label
    endpoint_id, _ = add_endpoint(app, label_id, receiver.url + "?token=hunter2")

    def broken_send(client, request, **kwargs):
        raise RuntimeError(f"cannot send to {request.url}")

    monkeypatch.setattr(httpx.Client, "send", broken_send)
    queue_test_event(app, label_id, endpoint_id)
    send(app)
    assert deliveries(app, endpoint_id) == [("webhook.test", "pending", 1, 1)]
    status, error, _, _ = last_attempt(app, endpoint_id)
    assert status is None and error == "could not send: RuntimeError"


def test_a_failure_days_after_the_last_starts_a_new_streak(app, own_label, receiver):
    label_id, _ = own_label
    endpoint_id, _ = add_endpoint(app, label_id, receiver.url)
    receiver.script = [503, 503, 503]
    start = now_utc()
    queue_test_event(app, label_id, endpoint_id, at=start)
    with frozen(start):
        send(app)
    assert endpoint_state(app, endpoint_id) == (True, start)
    later = start + timedelta(days=3)  # nothing was attempted in between (a worker outage)
    with frozen(later):
        sweep(app)
    assert endpoint_state(app, endpoint_id) == (True, later)
    with frozen(later + timedelta(minutes=2)):
        sweep(app)
    assert endpoint_state(app, endpoint_id) == (True, later)  # the new streak goes on
    assert len(receiver.requests) == 3


def test_one_event_failing_every_attempt_turns_the_endpoint_off(app, own_label, receiver,
                                                                  monkeypatch):
    label_id, _ = own_label
    endpoint_id, _ = add_endpoint(app, label_id, receiver.url)
    receiver.script = [503] * 20
    monkeypatch.setattr(webhook_jobs.random, "uniform", lambda low, high: 1.0)  # no jitter
    at = now_utc()
    queue_test_event(app, label_id, endpoint_id, at=at)
    while at is not None:  # every retry exactly when it is due
        with frozen(at):
            sweep(app)
        with app.app_context(), scoped(Scope.platform("test")):
            at = db.session.scalars(select(WebhookDelivery.next_attempt_at).where(
                WebhookDelivery.endpoint_id == endpoint_id)).one()
    assert sum(webhook_jobs.RETRY_AFTER, timedelta()) > webhook_jobs.DISABLE_AFTER
    assert deliveries(app, endpoint_id) == [("webhook.test", "failed", 9, 9)]
    assert endpoint_state(app, endpoint_id)[0] is False  # turned off by its 9th failure


@contextmanager
def raw_receiver(answer):
    """A receiver on 127.0.0.1 whose whole answer, head included, ``answer(write)`` writes,
    until the client hangs up; yields (its URL, an Event set once it stopped writing)."""
    stopped = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            self.rfile.read(int(self.headers.get("content-length", 0)))
            try:
                answer(self.wfile.write)
            except OSError:
                pass  # the client hung up
            finally:
                stopped.set()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", stopped
    finally:
        server.shutdown()
        server.server_close()


def dripping(where):
    """An answer of 200 that comes a byte every 0.25 s (10 s in all), from the start of its
    head or of its body."""
    head, body = b"HTTP/1.1 200 OK\r\ncontent-length: 30\r\n\r\n", b"x" * 30
    steady, slow = (b"", head + body) if where == "head" else (head, body)

    def answer(write):
        write(steady)
        for byte in slow:
            write(bytes([byte]))
            time.sleep(0.25)
    return answer


@pytest.mark.parametrize("where", ["head", "body"])
def test_a_dripping_answer_is_cut_at_the_deadline(app, own_label, monkeypatch, where):
    label_id, _ = own_label
    monkeypatch.setattr(sending, "DEADLINE", 1.0)
    with raw_receiver(dripping(where)) as (url, stopped):
        endpoint_id, _ = add_endpoint(app, label_id, url)
        queue_test_event(app, label_id, endpoint_id)
        began = time.monotonic()
        send(app)
        assert time.monotonic() - began < 5
        assert stopped.wait(5)  # its next byte found the connection closed
    status, error, _, answer_ms = last_attempt(app, endpoint_id)
    assert status is None and error == "no answer within 1 s" and answer_ms < 3000
    assert deliveries(app, endpoint_id) == [("webhook.test", "pending", 1, 1)]


def test_a_huge_answer_is_read_no_further_than_its_start(app, own_label):
    label_id, _ = own_label
    size, piece, written = 64 * 2**20, 2**16, []

    def huge(write):
        write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % size)
        for _ in range(size // piece):
            written.append(write("é".encode() * (piece // 2)))

    with raw_receiver(huge) as (url, stopped):
        endpoint_id, _ = add_endpoint(app, label_id, url)
        queue_test_event(app, label_id, endpoint_id)
        send(app)
        assert stopped.wait(5)
    assert sum(written) < size  # the connection was closed long before the end
    status, error, excerpt, _ = last_attempt(app, endpoint_id)
    assert (status, error, excerpt) == (200, None, "é" * 500)
    assert deliveries(app, endpoint_id) == [("webhook.test", "delivered", 1, 1)]
