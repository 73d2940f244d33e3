"""The analytics dashboards in a real browser: every chart drawn by the app's own plotly.js
(the world map from the app's own topojson), as label staff and as an artist; what a first,
cold visit costs in bytes; how they read on a desk and a phone."""
from datetime import timedelta
from pathlib import Path

import pytest

from app.extensions import db
from app.localtime import now_utc
from app.tenants.context import Scope, scoped
from tests.analytics_data import PASSWORD, new_release, world
from tests.e2e.accessibility import blocking_violations
from tests.e2e.screens import shoot

LOOK_HERE = Path("/tmp/presave-screens")


@pytest.fixture(scope="module")
def ids_users(app):
    with app.app_context(), scoped(Scope.platform("test")):
        ids, users = world()
        db.session.remove()
    return ids, users


@pytest.fixture(scope="module")
def fresh(app, ids_users):
    """Quay Lights' next release, its pre-save opened ten minutes ago: nobody came yet."""
    from app.models import Artist

    with app.app_context(), scoped(Scope.platform("test")):
        now = now_utc().replace(tzinfo=None, second=0, microsecond=0)
        release = new_release(db.session.get(Artist, ids_users[0]["quay"]), "First Light",
                              now - timedelta(minutes=10), now + timedelta(days=14))
        db.session.commit()
        release_id = release.id
        db.session.remove()
    return release_id


@pytest.fixture(scope="module")
def under_test(app, ids_users):
    """Quay Lights' release whose page tests a second variant, with three days of visits:
    B converts clearly better."""
    import uuid

    from app.models import Artist, Event
    from app.releases import ab_tests

    with app.app_context(), scoped(Scope.platform("test")):
        now = now_utc().replace(tzinfo=None, second=0, microsecond=0)
        release = new_release(db.session.get(Artist, ids_users[0]["quay"]), "Night Swim",
                              now - timedelta(days=4), now + timedelta(days=14))
        release.status = "presave_active"
        ab_tests.add_variant(release, "Night sky artwork", headline="Heard it first at midnight")
        test = ab_tests.start(release, auto_stop=True, min_presaves=200)
        test.started_at = now_utc() - timedelta(days=3)
        for day in range(3):
            at = now_utc() - timedelta(days=2 - day, hours=1)
            for key, visitors, presavers in (("A", 120, 12), ("B", 120, 30)):
                for i in range(visitors):
                    who = uuid.uuid4().hex
                    for kind in ["page_view"] + (["presave_completed"] if i < presavers else []):
                        db.session.add(Event(label_id=release.label_id, artist_id=release.artist_id,
                                             release_id=release.id, kind=kind, occurred_at=at,
                                             visitor_hash=who, variant=key))
        db.session.commit()
        release_id = release.id
        db.session.remove()
    return release_id


def drawn(page, url, charts=True):
    """Open a dashboard; every figure must be drawn (Plotly resolved, its SVG present)."""
    problems = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    page.goto(url)
    figures = page.locator(".presave-figure")
    assert (figures.count() > 0) == charts
    page.wait_for_function(
        "() => [...document.querySelectorAll('.presave-figure')].every(f => f.dataset.drawn)")
    for index in range(figures.count()):
        assert figures.nth(index).locator(".main-svg").count() > 0
    assert problems == []
    return page


def test_staff_see_release_artist_and_roster_dashboards(login_as, live_server, ids_users):
    ids, users = ids_users
    page = login_as(users["staff_a"], PASSWORD)
    drawn(page, f"{live_server}/analytics/release/{ids['tide']}")
    assert page.locator(".geo .countries path, .geolayer path").count() > 0  # the world map
    assert page.locator('.kpi[data-kind="presave_completed"] .value').inner_text() == "3"
    shoot(page, "analytics-release-staff", LOOK_HERE)
    page.click("text=Weekly")
    drawn(page, page.url)
    assert "grain=week" in page.url
    drawn(page, f"{live_server}/analytics/artist/{ids['quay']}")
    shoot(page, "analytics-artist-staff", LOOK_HERE)
    drawn(page, f"{live_server}/analytics/label")
    assert page.locator("#roster-table tbody tr").count() == 2
    shoot(page, "analytics-label-staff", LOOK_HERE)


def test_an_artist_sees_their_dashboards_and_not_the_roster(login_as, live_server, ids_users):
    ids, users = ids_users
    page = login_as(users["artist_a"], PASSWORD)
    page.goto(f"{live_server}/analytics/")
    assert page.url.endswith(f"/analytics/artist/{ids['quay']}")
    drawn(page, page.url)
    shoot(page, "analytics-artist-artist", LOOK_HERE)
    page.click("#release-table a:text('Tidewater')")
    drawn(page, page.url)
    shoot(page, "analytics-release-artist", LOOK_HERE)
    assert page.goto(f"{live_server}/analytics/release/{ids['moss']}").status == 404
    page.goto(f"{live_server}/analytics/label")  # refused: FAB sends them elsewhere
    assert page.locator("#roster-table").count() == 0


def transferred(context, url):
    """{url: (bytes over the wire, content encoding)} for every response of one visit: the
    encoded body and headers, as Chromium counts them (CDP Network.loadingFinished)."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    pending, urls, sizes = set(), {}, {}

    def received(event):
        headers = {k.lower(): v for k, v in event["response"]["headers"].items()}
        urls[event["requestId"]] = (event["response"]["url"], headers.get("content-encoding"))

    def finished(event):
        pending.discard(event["requestId"])
        sizes[event["requestId"]] = event["encodedDataLength"]

    cdp.on("Network.requestWillBeSent", lambda event: pending.add(event["requestId"]))
    cdp.on("Network.responseReceived", received)
    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.loadingFailed", lambda event: pending.discard(event["requestId"]))
    drawn(page, url)
    for _ in range(100):  # the favicon and fonts may still be on their way
        if not pending:
            break
        page.wait_for_timeout(50)
    assert not pending
    return {urls[key][0]: (size, urls[key][1]) for key, size in sizes.items() if key in urls}


def test_a_cold_visit_of_a_dashboard_transfers_under_1_5_mb(app, browser, login_as, live_server,
                                                             ids_users):
    ids, users = ids_users
    assert app.test_cli_runner().invoke(args=["assets", "compress"]).exit_code == 0  # as `init`
    signed_in = login_as(users["staff_a"], PASSWORD).context.storage_state()
    cold = browser.new_context(viewport={"width": 1440, "height": 900}, storage_state=signed_in)
    try:
        responses = transferred(cold, f"{live_server}/analytics/release/{ids['tide']}")
    finally:
        cold.close()
    total = sum(size for size, _ in responses.values())
    print(f"\nCold visit of a release dashboard: {total:,} bytes in {len(responses)} responses")
    plotly = next(answer for url, answer in responses.items() if "/analytics/plotly." in url)
    assert plotly[1] == "br"
    assert total < 1_500_000, sorted(responses.items(), key=lambda item: -item[1][0])[:8]


def _signed_in(open_page, live_server, email, size):
    page = open_page(size)
    page.goto(f"{live_server}/login/")
    page.fill("#username", email)
    page.fill("#password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


@pytest.mark.parametrize("size", ["wide", "iphone-13"])
def test_dashboards_read_on_a_desk_and_a_phone(open_page, live_server, ids_users, fresh,
                                              under_test, size):
    ids, users = ids_users
    page = _signed_in(open_page, live_server, users["staff_a"], size)
    for name, path, charts in [("release", f"/analytics/release/{ids['tide']}", True),
                               ("first-contact", f"/analytics/release/{fresh}", False),
                               ("ab-test", f"/analytics/release/{under_test}", True),
                               ("artist", f"/analytics/artist/{ids['quay']}", True)]:
        drawn(page, live_server + path, charts)
        shoot(page, f"analytics-{name}-{size}", LOOK_HERE)
        sideways = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
        assert sideways <= 0, f"{name} scrolls sideways on {size}"
        assert blocking_violations(page) == [], (name, blocking_violations(page))
    assert page.locator("#release-table tr", has_text="First Light").locator(
        "td.num").last.inner_text().startswith("from ")
