"""A running A/B test through the fan page: visitors spread across the variants by their
weights, each sees the same one on every view that day (and a known fan on later days too),
bots see the release as it is and count nowhere, and every event carries the variant its
visitor saw."""
import re
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import visitors
from app.visitors import SALT_KEY
from app.extensions import redis_connection
from app.localtime import frozen, now_utc
from app.models import Release
from tests.event_stream import BOTS, DESKTOP, IPHONE, drain, events_of, visitor
from tests.fan_journey import coming_soon, page, sandbox_decision
from tests.release_day_runs import ctx

WORDS = {"A": "The release in its own words", "B": "Heard it first at midnight",
         "C": "Twelve songs, one night"}


@pytest.fixture
def under_test(app, api, active_release, monkeypatch):
    """A release whose page tests three variants, weighted 1, 2, 1 (A: the release as it
    is); its slug. Today's visitor hashes are pinned, so the split is the same every run."""
    monkeypatch.setitem(app.config, "VISITOR_SALT", "a-fixed-pepper")
    salt_key = SALT_KEY.format(day=now_utc().date().isoformat())
    with app.app_context():
        redis_connection().set(salt_key, "fixed-salt", ex=visitors.SALT_SECONDS)
    visitors._salts.clear()  # this process's copy of today's salt: read the pinned one
    slug = active_release(days=10)  # out after the later days the tests look at
    with ctx(app) as session:
        release = session.scalars(select(Release).where(Release.slug == slug)).one()
        release.description, release_id = WORDS["A"], release.id
        session.commit()
    client, headers = api("staff@northwind.test")
    base = f"/api/v1/releases/{release_id}/variants"
    for key, weight in (("B", 2), ("C", 1)):
        assert client.post(base, headers=headers, json={
            "name": f"Variant {key}", "description": WORDS[key], "weight": weight}).status_code == 201
    assert client.post(f"{base}/test", headers=headers, json={"action": "start"}).status_code == 200
    yield slug
    with app.app_context():  # later tests get a day's salt of their own, as in production
        redis_connection().delete(salt_key)
    visitors._salts.clear()


def seen(response):
    """The variant whose words the page shows as the release's description."""
    shown = re.search(r'<p class="description">(.*?)</p>', response.get_data(as_text=True))
    (key,) = [key for key, words in WORDS.items() if shown and shown.group(1) == words]
    return key


def test_visitors_spread_across_the_variants_by_weight(app, under_test):
    counts = Counter(seen(visitor(app, f"10.{i // 250}.{i % 250}.7", IPHONE).get(page(under_test)))
                     for i in range(1000))
    shares = {key: counts[key] / 1000 for key in WORDS}
    assert abs(shares["A"] - 0.25) <= 0.05 and abs(shares["C"] - 0.25) <= 0.05, shares
    assert abs(shares["B"] - 0.50) <= 0.05, shares


def test_a_visitor_sees_the_same_variant_all_day_and_a_known_fan_on_later_days(app, under_test):
    browsers = [visitor(app, f"172.16.0.{i}", DESKTOP) for i in range(1, 21)]
    first = [seen(b.get(page(under_test))) for b in browsers]
    assert [seen(b.get(page(under_test))) for b in browsers] == first
    assert len(set(first)) > 1  # twenty browsers do not all land on one variant
    fan = visitor(app, "172.16.1.1", IPHONE)
    shown = seen(fan.get(page(under_test)))
    going = fan.post(page(under_test) + "/presave", data={"platform": "spotify",
                                                          "email": "ab-fan@example.com"})
    assert fan.get(sandbox_decision(fan, going.headers["Location"])).status_code == 302
    with_cookie = seen(fan.get(page(under_test)))
    for days in (1, 2, 3):  # the day's hash changes; the fan cookie does not
        with frozen(now_utc() + timedelta(days=days)):
            assert seen(fan.get(page(under_test))) == with_cookie
    assert with_cookie in WORDS and shown in WORDS


@pytest.mark.parametrize("bot", ["Googlebot", "facebookexternalhit", "Twitterbot",
                                 "Slackbot-LinkExpanding", "WhatsApp"])
def test_bots_see_the_release_as_it_is_and_count_nowhere(app, under_test, bot):
    for i in range(8):
        answer = visitor(app, f"66.249.66.{i}", BOTS[bot]).get(page(under_test))
        assert seen(answer) == "A"
    drain(app)
    assert events_of(app, under_test) == []


def test_each_event_carries_the_variant_its_visitor_saw(app, under_test):
    fan = visitor(app, "10.20.30.40", IPHONE)
    shown = seen(fan.get(page(under_test)))
    going = fan.post(page(under_test) + "/presave", data={"platform": "spotify",
                                                          "email": "ab-events@example.com"})
    assert fan.get(sandbox_decision(fan, going.headers["Location"])).status_code == 302
    drain(app)
    events = events_of(app, under_test)
    assert {e.kind for e in events} >= {"page_view", "platform_click", "presave_completed"}
    assert {e.variant for e in events} == {shown}


def test_a_stopped_test_shows_everyone_the_release_as_it_is(app, api, under_test):
    with ctx(app) as session:
        release_id = session.scalar(select(Release.id).where(Release.slug == under_test))
    client, headers = api("staff@northwind.test")
    assert client.post(f"/api/v1/releases/{release_id}/variants/test", headers=headers,
                       json={"action": "stop"}).status_code == 200
    assert {seen(visitor(app, f"10.9.9.{i}", IPHONE).get(page(under_test)))
            for i in range(30)} == {"A"}


def test_the_counts_per_variant_match_the_scripted_visits(app, api, under_test):
    views, presavers = Counter(), Counter()
    for i in range(60):
        fan = visitor(app, f"10.77.0.{i}", IPHONE)
        shown = seen(fan.get(page(under_test)))
        views[shown] += 1
        if i % 3 == 0:
            going = fan.post(page(under_test) + "/presave", data={
                "platform": "spotify", "email": f"ab-count-{i}@example.com"})
            assert fan.get(sandbox_decision(fan, going.headers["Location"])).status_code == 302
            presavers[shown] += 1
    visitor(app, "66.249.66.1", BOTS["Googlebot"]).get(page(under_test))  # counts nowhere
    drain(app)
    with ctx(app) as session:
        release_id = session.scalar(select(Release.id).where(Release.slug == under_test))
    client, headers = api("staff@northwind.test")
    report = client.get(f"/api/v1/releases/{release_id}/analytics",
                        headers=headers).get_json()["ab_test"]
    assert report["state"] == "running"
    counted = {v["key"]: (v["visitors"], v["page_views"], v["clickers"], v["presavers"])
               for v in report["variants"]}
    assert counted == {key: (views[key], views[key], presavers[key], presavers[key])
                       for key in WORDS}
    assert {c["variant"] for c in report["readout"]} == {"B", "C"}
    assert all(c["verdict"] == "not yet" for c in report["readout"])  # far too few to tell


def test_a_coming_soon_page_shows_its_variant_headline_too(app, api, unique):
    slug = coming_soon(app, unique)
    with ctx(app) as session:
        release_id = session.scalar(select(Release.id).where(Release.slug == slug))
    client, headers = api("staff@northwind.test")
    base = f"/api/v1/releases/{release_id}/variants"
    client.post(base, headers=headers, json={"name": "Teaser", "headline": "Something is coming",
                                            "weight": 100})
    assert client.post(f"{base}/test", headers=headers,
                       json={"action": "start"}).status_code == 200
    pages = [visitor(app, f"10.5.5.{i}", IPHONE).get(page(slug)).get_data(as_text=True)
             for i in range(40)]
    assert all("Pre-save opens soon" in html or "Something is coming" in html for html in pages)
    assert sum("Something is coming" in html for html in pages) >= 30  # B: 100 shares of 101
