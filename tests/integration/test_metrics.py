"""/metrics: who may scrape it, what it names, and that its counts are the ledger's.

Counters are the process's (or, in multiprocess mode, every process's) since it started, so
each test compares what its own work added; the release-day tests deliver releases of their
own on real RQ workers (in-process, and a forking `rq worker` in multiprocess mode).
"""
import json
import os
import re
import socket
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

from rq import SimpleWorker
from sqlalchemy import select, update

from app.extensions import queue, redis_connection
from app.jobs.lifecycle import LIFECYCLE_QUEUE, reconcile
from app.models import PreSave, Release
from app.localtime import now_utc
from app.sandbox import state as sandbox
from tests.prometheus_scrape import scrape
from tests.release_day_runs import (ctx, manual_link, on_platform, presave, release_now, rows,
                                    run_release_day)
from app.jobs.release_day import DELIVERY_QUEUE, start_release_day
from app.jobs.messages import QUEUE as MESSAGES_QUEUE

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana-release-night.json"
ELSEWHERE = {"REMOTE_ADDR": "203.0.113.7"}
DOCUMENTED = [
    "presave_presaves_total", "presave_platform_calls_total",
    "presave_platform_retry_after_seconds_count", "presave_stranded_leases_returned_total",
    "presave_analytics_events_ingested_total", "presave_messages_total",
    "presave_fan_page_requests_total", "presave_fan_page_duration_seconds_bucket",
    "presave_token_refreshes_total", "presave_queue_depth",
    "presave_queue_oldest_job_age_seconds", "presave_queue_failed_jobs", "presave_rq_workers",
    "presave_leases_held", "presave_leases_expired", "presave_lease_oldest_age_seconds",
    "presave_analytics_stream_entries", "presave_analytics_stream_oldest_age_seconds",
    "presave_backlog_up",
]


def test_refused_from_another_machine_without_the_token(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-metrics-token")
    assert client.get("/metrics", environ_base=ELSEWHERE).status_code == 403
    wrong = {"Authorization": "Bearer not-the-token"}
    assert client.get("/metrics", environ_base=ELSEWHERE, headers=wrong).status_code == 403
    # loopback, but relayed by the proxy from outside
    relayed = {"X-Forwarded-For": "198.51.100.9"}
    assert client.get("/metrics", headers=relayed).status_code == 403


def test_no_token_configured_lets_no_bearer_in(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", None)
    empty = {"Authorization": "Bearer "}
    assert client.get("/metrics", environ_base=ELSEWHERE, headers=empty).status_code == 403


def test_allowed_with_the_token_from_anywhere_and_from_loopback(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-metrics-token")
    bearer = {"Authorization": "Bearer s3cret-metrics-token", "X-Forwarded-For": "198.51.100.9"}
    scrape(client, environ_base=ELSEWHERE, headers=bearer)
    scrape(client)  # the test client's address is 127.0.0.1


def test_the_exposition_parses_and_names_every_documented_metric(client):
    names = scrape(client).names()
    assert [name for name in DOCUMENTED if name not in names] == []
    assert all(name.startswith("presave_") for name in names
               if not name.startswith(("process_", "python_")))


def test_the_delivered_counter_adds_what_the_ledger_delivered(app, client, over_http,
                                                              active_release):
    slug = active_release()
    for _ in range(3):
        presave(app, slug)
    isrc, _item = on_platform()
    label_id, release_id = release_now(app, slug, isrc)
    before = scrape(client)
    run_release_day(app, label_id, release_id)
    after = scrape(client)
    delivered = [p for p in rows(app, release_id) if p.state == "delivered"]
    assert len(delivered) == 3
    added = (after.value("presave_presaves_total", platform="spotify", outcome="delivered")
             - before.value("presave_presaves_total", platform="spotify", outcome="delivered"))
    assert added == len(delivered)
    ok = ("presave_platform_calls_total", {"platform": "spotify", "status": "200"})
    assert after.value(ok[0], **ok[1]) - before.value(ok[0], **ok[1]) >= 3


def test_a_429_is_counted_with_its_retry_after(app, client, over_http, active_release):
    slug = active_release()
    presave(app, slug)
    presave(app, slug)
    isrc, item_id = on_platform()
    label_id, release_id = release_now(app, slug, isrc)
    manual_link(app, release_id, "spotify", item_id)
    sandbox.set_faults("spotify", rate_429=1.0, retry_after=30)
    before = scrape(client)
    run_release_day(app, label_id, release_id)
    after = scrape(client)

    def added(name, **labels):
        return after.value(name, **labels) - before.value(name, **labels)
    refused = added("presave_platform_calls_total", platform="spotify", status="429")
    assert refused >= 1
    assert added("presave_platform_retry_after_seconds_count", platform="spotify") == refused
    assert added("presave_platform_retry_after_seconds_sum", platform="spotify") == \
        30 * refused
    assert added("presave_presaves_total", platform="spotify", outcome="delivered") == 0
    assert {p.state for p in rows(app, release_id)} == {"pending"}


def test_a_call_that_gets_no_answer_is_counted_as_a_network_error(
        app, client, over_http, active_release, monkeypatch):
    slug = active_release()
    presave(app, slug)
    isrc, item_id = on_platform()
    label_id, release_id = release_now(app, slug, isrc)
    manual_link(app, release_id, "spotify", item_id)
    with socket.socket() as closed:  # a port nothing listens on once this closes
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}"
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", nowhere)  # where the sandbox was
    before = scrape(client)
    run_release_day(app, label_id, release_id)
    after = scrape(client)
    unanswered = (after.value("presave_platform_calls_total", platform="spotify",
                              status="network")
                  - before.value("presave_platform_calls_total", platform="spotify",
                                 status="network"))
    assert unanswered >= 1
    (row,) = rows(app, release_id)  # to be tried again (aiohttp names its own error)
    assert row.state == "pending" and row.last_error.startswith("Spotify: network error (")


def test_expired_leases_are_shown_then_counted_when_the_reconciler_returns_them(
        app, client, active_release):
    """Two pre-saves whose worker died an hour into its lease: the gauges show them held and
    expired; the reconciler (a real job on an RQ worker) returns them, and the counter says so."""
    slug = active_release()
    presave(app, slug)
    presave(app, slug)
    hour_ago = now_utc() - timedelta(hours=1)
    with ctx(app) as session:
        release_id = session.scalar(select(Release.id).where(Release.slug == slug))
        session.execute(update(PreSave).where(PreSave.release_id == release_id).values(
            state="in_progress", lease_token="dead-worker", updated_at=hour_ago,
            leased_until=hour_ago + timedelta(minutes=5)))
        session.commit()
    before = scrape(client)
    assert before.value("presave_leases_held", ledger="presaves") >= 2
    assert before.value("presave_leases_expired", ledger="presaves") >= 2
    assert before.value("presave_lease_oldest_age_seconds", ledger="presaves") >= 3600
    with app.app_context():
        lifecycle = queue(LIFECYCLE_QUEUE)
        job = lifecycle.enqueue(reconcile, None)
        SimpleWorker([lifecycle], connection=redis_connection()).work(burst=True)
        job.refresh()
        assert job.is_finished, job.exc_info
    after = scrape(client)
    returned = job.return_value()["leases_recovered"]
    assert returned >= 2
    assert (after.value("presave_stranded_leases_returned_total", ledger="presaves")
            - before.value("presave_stranded_leases_returned_total", ledger="presaves")) \
        == returned
    assert {p.state for p in rows(app, release_id)} == {"pending"}
    assert after.value("presave_leases_expired", ledger="presaves") == 0


def test_queue_depth_and_oldest_job_of_a_queue(app, client):
    name = f"metrics-test-{uuid.uuid4().hex[:8]}"
    with app.app_context():
        waiting = queue(name)
        jobs = [waiting.enqueue("app.jobs.health.note_reconciled", None) for _ in range(3)]
        jobs[0].enqueued_at = now_utc() - timedelta(hours=1)
        jobs[0].save()
    try:
        found = scrape(client)
        assert found.value("presave_queue_depth", queue=name) == 3
        assert found.value("presave_queue_oldest_job_age_seconds", queue=name) >= 3600
        assert found.value("presave_queue_failed_jobs", queue=name) == 0
        assert found.value("presave_backlog_up", source="queues") == 1
    finally:
        with app.app_context():
            queue(name).delete(delete_jobs=True)


def test_fan_pages_are_counted_by_route_and_status_with_their_latency(app, client,
                                                                      active_release):
    slug = active_release()
    before = scrape(client)
    for _ in range(2):  # a new visitor each time: the second comes from the fast lane
        assert app.test_client().get(f"/s/aurora-vale/{slug}").status_code == 200
    assert client.get("/s/aurora-vale/no-such-release").status_code == 404
    assert client.get("/s/aurora-vale/a/b/c/d").status_code == 404
    after = scrape(client)

    def added(name, **labels):
        return after.value(name, **labels) - before.value(name, **labels)
    assert added("presave_fan_page_requests_total", endpoint="fan.release", status="200") == 2
    assert added("presave_fan_page_requests_total", endpoint="fan.release", status="404") == 1
    assert added("presave_fan_page_requests_total", endpoint="none", status="404") == 1
    assert added("presave_fan_page_duration_seconds_count", endpoint="fan.release") == 3
    assert added("presave_fan_page_duration_seconds_sum", endpoint="fan.release") > 0
    assert not any(slug in str(sample.labels) for family in after.families
                   for sample in family.samples)


def test_the_grafana_dashboard_asks_only_for_metrics_the_app_exposes(client):
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [target["expr"] for panel in dashboard["panels"]
             for target in panel.get("targets", [])]
    assert len(exprs) >= 10
    asked = {name for expr in exprs for name in re.findall(r"\bpresave_[a-z0-9_]+", expr)}
    assert asked and asked <= scrape(client).names(), asked - scrape(client).names()
    assert {"DS_PROMETHEUS"} == {panel["datasource"]["uid"].strip("${}")
                                 for panel in dashboard["panels"] if "datasource" in panel}


def test_a_forking_rq_worker_counts_into_the_shared_folder(app, client, over_http, active_release,
                                                          tmp_path, monkeypatch):
    """Multiprocess mode as in production: PresaveWorker forks a work horse per job, whose
    counts reach the scrape only through PROMETHEUS_MULTIPROC_DIR."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    slug = active_release()
    for _ in range(3):
        presave(app, slug)
    isrc, _item = on_platform()
    label_id, release_id = release_now(app, slug, isrc)
    with app.app_context():
        queue(DELIVERY_QUEUE).enqueue(start_release_day, label_id, release_id)
    env = {**os.environ, "REDIS_URL": app.config["REDIS_URL"], "TZ": "UTC",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "PRESAVE_CONFIG": "config.TestConfig", "FAB_UPDATE_PERMS": "false",
           "PUBLIC_BASE_URL": over_http, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    rq = str(Path(sys.executable).parent / "rq")
    done = subprocess.run([rq, "worker", "--url", app.config["REDIS_URL"], "--burst",
                           "--worker-class", "app.jobs.worker.PresaveWorker",
                           DELIVERY_QUEUE, MESSAGES_QUEUE], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    delivered = [p for p in rows(app, release_id) if p.state == "delivered"]
    assert len(delivered) == 3
    monkeypatch.setitem(app.config, "PROMETHEUS_MULTIPROC_DIR", str(folder))
    found = scrape(client)
    assert found.value("presave_presaves_total", platform="spotify",
                       outcome="delivered") == len(delivered)
    assert found.value("presave_platform_calls_total", platform="spotify", status="200") >= 3
