"""Account → Custom domains through HTTP as the demo users: adding a domain, the records shown
for it, the proofs (the app itself answering over HTTP on loopback, a real DNS server on
loopback), turning it on and off, removing it, the daily re-check through a real RQ worker,
and who may do any of it. Every test works on hostnames of its own and removes them."""
import re
import threading
import uuid
from datetime import timedelta
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from rq import SimpleWorker
from rq.cron import CronScheduler
from sqlalchemy import delete, select

import app as app_package
from app.extensions import db, queue, redis_connection
from app.jobs import domains as domain_jobs
from app.localtime import frozen, now_utc
from app.models import Artist, CustomDomain, Release
from app.tenants.context import Scope, scoped
from tests.analytics_data import PASSWORD, new_user
from tests.audit_entries import entries_after, last_id, northwind
from tests.dns_server import asked_by
from tests.own_label import make_label

OWNER, STAFF, ARTIST = "owner@northwind.test", "staff@northwind.test", "artist@northwind.test"
HARBOR_STAFF = "staff@harbor.test"
NOWHERE = "127.0.0.1:9"  # nothing listens: the HTTP check fails at once


@pytest.fixture
def dns_server(app, monkeypatch):
    with asked_by(app, monkeypatch) as server:
        yield server


@pytest.fixture
def hosts(app):
    """new() -> a hostname of this test's own; every domain row with one is removed after."""
    made = []

    def new(prefix="music"):
        made.append(f"{prefix}-{uuid.uuid4().hex[:8]}.example.test")
        return made[-1]

    yield new
    with app.app_context(), scoped(Scope.platform("test")):
        db.session.execute(delete(CustomDomain).where(CustomDomain.hostname.in_(made)))
        db.session.commit()


@pytest.fixture
def owner(login):
    return login(OWNER)


@pytest.fixture
def http_check_here(app, live_server, monkeypatch):
    """The HTTP check connects to the app itself, served on loopback."""
    monkeypatch.setitem(app.config, "DOMAIN_CHECK_ADDRESS", live_server.removeprefix("http://"))


@pytest.fixture
def http_check_nowhere(app, monkeypatch):
    monkeypatch.setitem(app.config, "DOMAIN_CHECK_ADDRESS", NOWHERE)


def row(app, hostname):
    with app.app_context(), scoped(Scope.platform("test")):
        found = db.session.scalars(select(CustomDomain).where(
            CustomDomain.hostname == hostname)).first()
        db.session.expunge_all()
        return found


def add(client, hostname):
    return client.post("/domains/add", data={"hostname": hostname})


def act(client, hostname, app, action):
    return client.post(f"/domains/{row(app, hostname).id}/{action}")


def page_text(client):
    response = client.get("/domains/")
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


def card(body, domain):
    """The part of the page about one domain."""
    found = re.search(rf'<section[^>]*id="domain-{domain.id}".*?</section>', body, re.S)
    assert found, f"no card for {domain.hostname}"
    return found.group(0)


def set_state(app, hostname, state, **values):
    with app.app_context(), scoped(Scope.platform("test")):
        domain = db.session.scalars(select(CustomDomain).where(
            CustomDomain.hostname == hostname)).one()
        domain.state = state
        for key, value in values.items():
            setattr(domain, key, value)
        db.session.commit()


def fan_page(app):
    """A Northwind fan page fans can open: (path on the instance, path on a domain)."""
    with app.app_context(), scoped(Scope.platform("test")):
        slug = db.session.scalars(select(Release.slug).join(Artist).where(
            Artist.slug == "aurora-vale", Release.status.in_(("presave_active", "released")))
            .order_by(Release.id)).first()
    path = f"/aurora-vale/{slug}" if slug else "/aurora-vale"
    return "/s" + path, path


# -- adding ----------------------------------------------------------------------------------------

def test_an_added_domain_waits_for_proof_with_the_records_to_set(app, owner, hosts):
    hostname = hosts()
    start = last_id(app)
    added = add(owner, f"  https://{hostname.upper()}/some/path ")
    assert added.status_code == 302 and "/domains/" in added.headers["Location"]
    domain = row(app, hostname)
    assert (domain.state, domain.label_id, domain.created_by) == ("pending", northwind(app), OWNER)
    assert re.fullmatch(r"[0-9a-f]{32}", domain.token)
    shown = card(page_text(owner), domain)
    assert "Waiting for proof" in shown and "Not checked yet" in shown
    assert re.search(rf"CNAME</td><td[^>]*><code>{re.escape(hostname)}</code></td>"
                     r"<td[^>]*><code>presave.test</code>", shown)
    assert f"_presave.{hostname}" in shown and domain.token in shown
    assert f"http://{hostname}/.well-known/presave-verify/{domain.token}" in shown
    assert "Serve fan pages here" not in shown  # not before it is proven
    entries = entries_after(app, start, object_type="domain")
    assert [(e.action, e.object_name, e.label_id, e.actor_name) for e in entries] == [
        ("domain.created", hostname, northwind(app), OWNER)]
    assert entries[0].changes["token"] == [None, domain.token]  # public: nothing masked


@pytest.mark.parametrize("given, says", [
    ("", "Enter a hostname, such as music.yourlabel.com"),
    ("not a host!", "That is not a hostname"),
    ("localhost", "Use a full domain name"),
    ("192.0.2.7", "Use a full domain name"),
    ("presave.test", "That is this service's own address"),
    ("fans.presave.test", "That is this service's own address"),
    ("x" * 5000 + ".com", "That is not a hostname"),
])
def test_a_bad_hostname_is_refused_with_its_message(app, owner, given, says):
    start = last_id(app)
    refused = add(owner, given)
    body = unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422
    assert says in body and 'aria-invalid="true"' in body
    assert entries_after(app, start, object_type="domain") == []


def test_a_hostname_already_taken_is_refused_without_saying_by_whom(app, owner, hosts):
    mine, theirs = hosts(), hosts()
    assert add(owner, mine).status_code == 302
    again = add(owner, mine.upper())
    assert again.status_code == 422
    assert f"{mine} is already one of your domains" in unescape(again.get_data(as_text=True))
    other_label, _ = make_label(app, "Rival")
    with app.app_context(), scoped(Scope.platform("test")):
        db.session.add(CustomDomain(label_id=other_label, hostname=theirs, token="t" * 32))
        db.session.commit()
    taken = add(owner, theirs)
    body = unescape(taken.get_data(as_text=True))
    assert taken.status_code == 422
    assert "That hostname is already in use on this service" in body
    assert "Rival" not in body and "t" * 32 not in body
    assert row(app, theirs).label_id == other_label


# -- the proofs ----------------------------------------------------------------------------------

def test_the_http_check_finds_the_token_the_app_answers(app, owner, hosts, http_check_here,
                                                        dns_server):
    hostname = hosts()
    add(owner, hostname)
    start = last_id(app)
    checked = act(owner, hostname, app, "check")
    assert checked.status_code == 302
    domain = row(app, hostname)
    assert (domain.state, domain.verified_by, domain.last_error) == ("verified", "http", None)
    assert domain.checked_at == domain.verified_at and domain.failing_since is None
    assert dns_server.questions == []  # proven over HTTP: DNS not asked
    shown = card(page_text(owner), domain)
    assert "Proven — not serving yet" in shown and "proven by its web address" in shown
    assert "Serve fan pages here" in shown and "_presave." not in shown
    entries = entries_after(app, start, object_type="domain")
    assert [(e.action, e.changes, e.detail) for e in entries] == [
        ("domain.verified", {"state": ["pending", "verified"]},
         {"by": "http", "found": "http", "reason": None})]


def test_the_dns_check_finds_the_token_in_the_txt_record(app, owner, hosts, http_check_nowhere,
                                                         dns_server):
    hostname = hosts()
    add(owner, hostname)
    domain = row(app, hostname)
    dns_server.records[f"_presave.{hostname}"] = {"TXT": ["something else", domain.token]}
    act(owner, hostname, app, "check")
    domain = row(app, hostname)
    assert (domain.state, domain.verified_by, domain.last_error) == ("verified", "dns", None)
    assert (f"_presave.{hostname}", "TXT") in dns_server.questions
    assert "proven by its DNS record" in card(page_text(owner), domain)


@pytest.fixture
def another_server(app, monkeypatch):
    """The name points at another server, which answers every proof with its own token."""
    class Other(BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"a-token-of-another-instance"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Other)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, "DOMAIN_CHECK_ADDRESS", f"127.0.0.1:{server.server_port}")
    yield
    server.shutdown()
    server.server_close()


def test_a_wrong_token_fails_the_check_and_the_page_says_why(app, owner, hosts, another_server,
                                                             dns_server):
    hostname = hosts()
    add(owner, hostname)
    dns_server.records[f"_presave.{hostname}"] = {"TXT": ["an old token"]}
    start = last_id(app)
    act(owner, hostname, app, "check")
    domain = row(app, hostname)
    assert domain.state == "pending" and domain.failing_since == domain.checked_at
    assert domain.last_error == (
        f"http://{hostname}/.well-known/presave-verify/… answered, but not with this domain's "
        f"token. The TXT record _presave.{hostname} does not hold this domain's token")
    shown = card(page_text(owner), domain)
    assert domain.last_error in shown and "Waiting for proof" in shown
    assert [(e.action, e.detail["found"]) for e in entries_after(
        app, start, object_type="domain")] == [("domain.checked", None)]


def test_a_name_that_does_not_resolve_is_told_so(app, owner, hosts, dns_server):
    hostname = hosts()
    add(owner, hostname)
    act(owner, hostname, app, "check")
    assert row(app, hostname).last_error == (
        f"{hostname} does not resolve. No TXT record _presave.{hostname}")


def test_a_name_pointing_inside_is_not_asked(app, owner, hosts, dns_server):
    hostname = hosts()
    add(owner, hostname)
    dns_server.records[hostname] = {"A": ["127.0.0.1"]}
    act(owner, hostname, app, "check")
    assert row(app, hostname).last_error.startswith(
        f"{hostname} points at 127.0.0.1, which is not a public address. ")


# -- serving -------------------------------------------------------------------------------------

def test_turning_a_domain_on_serves_the_fan_pages_and_the_previous_one_stops(
        app, owner, hosts, http_check_here, dns_server):
    first, second = hosts(), hosts()
    on_instance, on_domain = fan_page(app)
    fan = app.test_client()
    for hostname in (first, second):
        add(owner, hostname)
        act(owner, hostname, app, "check")
    assert fan.get(on_domain, base_url=f"https://{first}").status_code == 404  # proven: not yet
    start = last_id(app)
    assert act(owner, first, app, "on").status_code == 302
    assert row(app, first).state == "active"
    assert fan.get(on_domain, base_url=f"https://{first}").status_code == 200
    assert "Serving your fan pages" in card(page_text(owner), row(app, first))
    act(owner, second, app, "on")
    assert (row(app, first).state, row(app, second).state) == ("verified", "active")
    assert fan.get(on_domain, base_url=f"https://{first}").status_code == 404
    assert fan.get(on_domain, base_url=f"https://{second}").status_code == 200
    assert fan.get(on_instance).status_code == 200  # the instance keeps serving it
    assert [(e.action, e.object_name) for e in entries_after(
        app, start, object_type="domain")] == [
        ("domain.turned_on", first), ("domain.turned_off", first), ("domain.turned_on", second)]
    start = last_id(app)
    act(owner, second, app, "off")
    assert row(app, second).state == "verified"
    assert fan.get(on_domain, base_url=f"https://{second}").status_code == 404
    act(owner, first, app, "on")
    act(owner, first, app, "remove")
    assert row(app, first) is None
    assert fan.get(on_domain, base_url=f"https://{first}").status_code == 404
    assert [(e.action, e.object_name) for e in entries_after(
        app, start, object_type="domain")] == [
        ("domain.turned_off", second), ("domain.turned_on", first), ("domain.deleted", first)]


def test_a_domain_not_proven_cannot_be_turned_on(app, owner, hosts):
    hostname = hosts()
    add(owner, hostname)
    assert act(owner, hostname, app, "on").status_code == 302
    assert row(app, hostname).state == "pending"
    assert "Prove the domain first" in page_text(owner)
    assert act(owner, hostname, app, "nonsense").status_code == 404


# -- the re-checks -------------------------------------------------------------------------------

def run_job(app, func, label_id):
    with app.app_context():
        rq_queue = queue(domain_jobs.QUEUE)
        job = rq_queue.enqueue(func, label_id)
        SimpleWorker([rq_queue], connection=redis_connection()).work(burst=True)
        return job.latest_result().return_value


def test_the_daily_check_returns_a_domain_missing_its_proof_for_three_days_to_pending(
        app, hosts, http_check_nowhere, dns_server):
    label_id, _ = make_label(app, "Daily")
    hostname = hosts()
    with app.app_context(), scoped(Scope.platform("test")):
        domain = CustomDomain(label_id=label_id, hostname=hostname, token=uuid.uuid4().hex,
                              state="active", verified_by="dns")
        db.session.add(domain)
        db.session.commit()
        token = domain.token
    dns_server.records[f"_presave.{hostname}"] = {"TXT": [token]}
    assert run_job(app, domain_jobs.recheck_proven, label_id) == {hostname: True}
    assert row(app, hostname).state == "active"
    del dns_server.records[f"_presave.{hostname}"]  # the label's records are taken away
    first_failure = now_utc()
    with frozen(first_failure):
        assert run_job(app, domain_jobs.recheck_proven, label_id) == {hostname: False}
    assert (row(app, hostname).state, row(app, hostname).failing_since) == (
        "active", first_failure)
    start = last_id(app)
    with frozen(first_failure + timedelta(hours=71)):
        run_job(app, domain_jobs.recheck_proven, label_id)
    assert row(app, hostname).state == "active"
    with frozen(first_failure + timedelta(hours=73)):
        run_job(app, domain_jobs.recheck_proven, label_id)
    domain = row(app, hostname)
    assert (domain.state, domain.failing_since) == ("pending", first_failure)
    assert app.test_client().get("/anyone", base_url=f"https://{hostname}").status_code == 404
    entries = entries_after(app, start, object_type="domain")
    assert [(e.action, e.actor_kind, e.actor_name, e.label_id, e.changes["state"])
            for e in entries] == [("domain.lapsed", "system", "domain_check", label_id,
                                   ["active", "pending"])]
    assert entries[0].detail["reason"] == (f"Could not connect to http://{hostname}. "
                                           f"No TXT record _presave.{hostname}")


def test_the_hourly_check_proves_new_domains_and_leaves_old_ones(app, hosts, http_check_nowhere,
                                                                 dns_server):
    label_id, _ = make_label(app, "Hourly")
    new, old = hosts(), hosts()
    with app.app_context(), scoped(Scope.platform("test")):
        for hostname, age in ((new, timedelta(hours=2)), (old, timedelta(days=8))):
            domain = CustomDomain(label_id=label_id, hostname=hostname, token=uuid.uuid4().hex,
                                  created_at=now_utc() - age)
            db.session.add(domain)
            dns_server.records[f"_presave.{hostname}"] = {"TXT": [domain.token]}
        db.session.commit()
    assert run_job(app, domain_jobs.recheck_new, label_id) == {new: True}
    assert (row(app, new).state, row(app, old).state) == ("verified", "pending")


def test_the_checks_are_registered_with_rq_cron():
    scheduler = CronScheduler(connection=None)
    scheduler.load_config_from_file(str(Path(app_package.__file__).parent / "jobs" / "cron.py"))
    registered = {job.func: (job.queue_name, job.cron, job.args) for job in scheduler.get_jobs()}
    assert registered[domain_jobs.recheck_proven] == (domain_jobs.QUEUE, "29 4 * * *", (None,))
    assert registered[domain_jobs.recheck_new] == (domain_jobs.QUEUE, "11 * * * *", (None,))


# -- who may ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("email", [STAFF, ARTIST])
def test_only_label_admins_have_the_page(app, login, hosts, email):
    client = login(email)
    for response in (client.get("/domains/"), add(client, hosts())):
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert "/domains" not in response.headers["Location"]
    assert "Custom domains" not in client.get("/overview/").get_data(as_text=True)


def test_another_labels_admin_neither_sees_nor_touches_a_domain(app, login, owner, hosts):
    hostname = hosts()
    add(owner, hostname)
    domain = row(app, hostname)
    other_label, _ = make_label(app, "Elsewhere")
    with app.app_context(), scoped(Scope.platform("test")):
        other_admin = new_user("Label Admin", other_label)
    rival = login(other_admin, PASSWORD)
    start = last_id(app)
    own_page = rival.get("/domains/")
    assert own_page.status_code == 200
    assert hostname not in own_page.get_data(as_text=True)
    assert domain.token not in rival.get(f"/domains/?label={domain.label_id}").get_data(
        as_text=True)
    for action in ("check", "on", "off", "remove"):
        assert rival.post(f"/domains/{domain.id}/{action}").status_code == 404
    assert row(app, hostname).checked_at is None
    assert entries_after(app, start, object_type="domain") == []


def test_a_hostname_another_label_proved_needs_the_txt_record(app, owner, hosts, http_check_here,
                                                               dns_server):
    """Its DNS may still point here after the other label let it go: the address alone would
    hand that label's old links to whoever added the name next."""
    from app.domains import verify
    from tests.own_label import make_label

    hostname, (other_label, _) = hosts(), make_label(app, "Before", "Before Artist")
    with app.app_context(), scoped(Scope.platform("test")):
        theirs = CustomDomain(label_id=other_label, hostname=hostname, token="t" * 32)
        db.session.add(theirs)
        db.session.commit()  # the app on loopback answers its token from then on
        assert verify.check(theirs) and theirs.verified_by == "http"
        db.session.delete(theirs)
        db.session.commit()
    add(owner, hostname)
    act(owner, hostname, app, "check")
    domain = row(app, hostname)
    assert domain.state == "pending" and "add the TXT record" in domain.last_error
    dns_server.records[f"_presave.{hostname}"] = {"TXT": [domain.token]}
    act(owner, hostname, app, "check")
    assert (row(app, hostname).state, row(app, hostname).verified_by) == ("verified", "dns")
