"""The hourly look at running A/B tests, on a real RQ worker: each look keeps the evidence so
far, so a winner once clear stays clear when later numbers blur it; a test set to stop by
itself stops once a winner is clear and every variant has its pre-savers; until then it
runs. The events go through the real stream and ingest, as the fan page sends them."""
import json
import uuid

import pytest
from rq import SimpleWorker
from sqlalchemy import select

from app.analytics import capture
from app.extensions import queue, redis_connection
from app.jobs import ab_looks
from app.localtime import now_utc
from app.models import Release
from tests.event_stream import drain
from tests.release_day_runs import ctx


@pytest.fixture
def running(app, api, active_release):
    """start(**options) -> (release id, its test's report getter) of a running A/B test."""
    client, headers = api("staff@northwind.test")

    def start(**options):
        slug = active_release(days=20)
        with ctx(app) as session:
            release_id = session.scalar(select(Release.id).where(Release.slug == slug))
        base = f"/api/v1/releases/{release_id}/variants"
        assert client.post(base, headers=headers, json={"name": "Bold"}).status_code == 201
        started = client.post(f"{base}/test", headers=headers,
                              json={"action": "start", **options})
        assert started.status_code == 200, started.get_json()

        def report():
            return client.get(f"/api/v1/releases/{release_id}/analytics",
                              headers=headers).get_json()["ab_test"]
        return release_id, report
    return start


def visits(app, release_id, variant, visitors, presavers):
    """``visitors`` new visitors saw ``variant``; the first ``presavers`` of them pre-saved."""
    with ctx(app) as session:
        release = session.get(Release, release_id)
        owner = {"release_id": release.id, "artist_id": release.artist_id,
                 "label_id": release.label_id}
    at = now_utc().isoformat()
    events = []
    for i in range(visitors):
        who = uuid.uuid4().hex
        kinds = ["page_view"] + (["platform_click", "presave_completed"] if i < presavers else [])
        events += [json.dumps({**owner, "kind": kind, "at": at, "visitor": who,
                               "variant": variant, "platform": "spotify"}) for kind in kinds]
    with app.app_context():
        capture.send(events)
    drain(app)


def look(app):
    with app.app_context():
        job = queue(ab_looks.QUEUE).enqueue(ab_looks.look_all, None)
        SimpleWorker([queue(ab_looks.QUEUE)], connection=redis_connection()).work(burst=True)
        return job.return_value()


def test_a_clear_winner_stops_a_test_set_to_stop_and_the_page_is_the_releases_again(
        app, running):
    release_id, report = running(auto_stop=True, min_presaves=30)
    visits(app, release_id, "A", 400, 40)
    visits(app, release_id, "B", 400, 31)  # about the same: nothing clear yet
    assert look(app)["stopped"] == 0
    assert report()["state"] == "running" and report()["clear_at"] is None
    visits(app, release_id, "B", 400, 150)  # now B converts far better
    counts = look(app)
    assert counts["stopped"] == 1
    shown = report()
    assert shown["state"] == "stopped" and shown["clear_at"] and shown["winner"] is None
    (b,) = shown["readout"]
    assert b["verdict"] == "better" and b["p_value"] < 0.05 and b["low"] > 0
    with ctx(app) as session:
        assert session.get(Release, release_id).ab_test_id is None  # everyone sees A again


def test_a_winner_once_clear_stays_clear_when_later_numbers_blur_it(app, running):
    release_id, report = running()  # not set to stop by itself
    visits(app, release_id, "A", 300, 30)
    visits(app, release_id, "B", 300, 90)
    look(app)
    first = report()
    assert first["state"] == "running" and first["clear_at"]
    (b,) = first["readout"]
    assert b["verdict"] == "better"
    visits(app, release_id, "A", 3000, 300)  # later, both convert alike: today's numbers
    visits(app, release_id, "B", 3000, 300)  # alone would no longer call a winner
    look(app)
    (later,) = report()["readout"]
    assert later["verdict"] == "better" and later["p_value"] == b["p_value"]
    assert later["lift"] < b["lift"]
    assert report()["clear_at"] == first["clear_at"]


def test_a_test_set_to_stop_waits_for_enough_presavers(app, running):
    release_id, report = running(auto_stop=True, min_presaves=500)
    visits(app, release_id, "A", 300, 30)
    visits(app, release_id, "B", 300, 120)
    assert look(app)["stopped"] == 0
    assert report()["state"] == "running" and report()["clear_at"]


@pytest.mark.parametrize("options, said", [
    ({"min_presaves": 0}, "from 1 to 1,000,000"),
    ({"min_presaves": "50"}, "Not a valid integer"),
    ({"auto_stop": "maybe"}, "Not a valid boolean"),
])
def test_the_stopping_rule_is_checked(app, api, active_release, options, said):
    slug = active_release()
    with ctx(app) as session:
        release_id = session.scalar(select(Release.id).where(Release.slug == slug))
    client, headers = api("staff@northwind.test")
    base = f"/api/v1/releases/{release_id}/variants"
    client.post(base, headers=headers, json={"name": "Bold"})
    answer = client.post(f"{base}/test", headers=headers, json={"action": "start", **options})
    assert answer.status_code == 422 and said in str(answer.get_json()["message"])
    assert client.get(base, headers=headers).get_json()["test"]["state"] == "draft"


def test_the_release_analytics_page_shows_the_test_with_a_chart_and_words(app, login, running):
    release_id, _ = running(auto_stop=True, min_presaves=1000)
    visits(app, release_id, "A", 300, 30)
    visits(app, release_id, "B", 300, 90)
    look(app)
    page = login("staff@northwind.test").get(f"/analytics/release/{release_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "A/B test of the page" in html and "running" in html
    assert 'data-variant="B" data-verdict="better"' in html
    assert "B converts 20.0 points better than A" in html and "a clear winner" in html
    assert "fewer than 5 tests in 100" in html and "1,000 pre-savers" in html
    assert "Each variant&#39;s conversion so far" in html or "Each variant's conversion" in html
    harbor = login("staff@harbor.test").get(f"/analytics/release/{release_id}")
    assert harbor.status_code == 404
