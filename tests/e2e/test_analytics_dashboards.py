"""The analytics dashboards in a real browser: every chart drawn by the app's own plotly.js
(the world map from the app's own topojson), as label staff and as an artist."""
from pathlib import Path

import pytest

from app.extensions import db
from app.tenants.context import Scope, scoped
from tests.analytics_data import PASSWORD, world
from tests.e2e.screens import shoot

LOOK_HERE = Path("/tmp/presave-screens")


@pytest.fixture(scope="module")
def ids_users(app):
    with app.app_context(), scoped(Scope.platform("test")):
        ids, users = world()
        db.session.remove()
    return ids, users


def drawn(page, url):
    """Open a dashboard; every figure must be drawn (Plotly resolved, its SVG present)."""
    problems = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    page.goto(url)
    figures = page.locator(".presave-figure")
    assert figures.count() > 0
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
