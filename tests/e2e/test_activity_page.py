"""Account → Activity in a real browser, on a phone and a desk: a label admin archives a release
and finds it in the activity, its chart drawn by the app's own plotly.js; filters by kind with
the plain form; the release's History panel; Label Staff's own page. No sideways scroll and no
serious axe violation on any of them."""
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app import audit
from app.extensions import db
from app.localtime import frozen, now_utc
from app.models import Label
from app.tenants.context import Scope, scoped
from tests.e2e.accessibility import checked_screen
from tests.e2e.signin import sign_in
from tests.own_label import new_release

LOOK_HERE = Path("/tmp/presave-screens")
PRODUCER = {"actor": "producer@northwind.test", "user_id": 900_100, "role": "Label Staff",
            "via": "web"}


@pytest.fixture(scope="module")
def busy_week(app):
    """A week of a producer's work at Northwind, for the chart: a few entries a day."""
    with app.app_context(), scoped(Scope.platform("test")):
        label_id = db.session.scalar(select(Label.id).where(Label.slug == "northwind"))
    for days_ago in range(7):
        for n in range(days_ago % 3 + 1):
            at = now_utc() - timedelta(days=days_ago, hours=n)
            with app.app_context(), scoped(Scope.label(label_id, **PRODUCER)), frozen(at):
                audit.record("artist.changed", label_id=label_id, object_type="artist",
                             object_id=1, name="Aurora Vale")
                db.session.commit()


def _check(page, name):
    checked_screen(page, name, LOOK_HERE)


def _drawn(page):
    page.wait_for_selector(".presave-figure[data-drawn='1']")


@pytest.mark.parametrize("size", ["iphone-13", "wide"])
def test_a_label_admin_finds_what_was_done(app, open_page, live_server, busy_week, unique,
                                           size):
    title = unique("Five Places")
    release_id, _ = new_release(app, "aurora-vale", title=title)
    page = sign_in(open_page(size), live_server, "owner@northwind.test")
    page.goto(f"{live_server}/releases/show/{release_id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Archive").click()
    page.wait_for_selector(".alert-success")
    history = page.locator("#history tbody tr").first
    assert "Archived" in history.inner_text() and "owner@northwind.test" in history.inner_text()
    page.locator("#history").scroll_into_view_if_needed()
    _check(page, f"release-history-{size}")

    page.goto(f"{live_server}/activity/")
    _drawn(page)
    assert page.get_by_role("cell", name=f"Archived “{title}”").first.is_visible()
    _check(page, f"activity-{size}")

    page.select_option("#activity-kind", "release.archived")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(lambda url: "kind=release.archived" in url)
    _drawn(page)
    actions = page.locator(".activity-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.action)")
    assert actions and set(actions) == {"release.archived"}
    _check(page, f"activity-archived-{size}")


@pytest.mark.parametrize("size", ["iphone-13", "wide"])
def test_label_staff_read_their_own_activity(app, open_page, live_server, size):
    page = sign_in(open_page(size), live_server, "staff@northwind.test")
    page.goto(f"{live_server}/activity/?person=900100")
    assert page.get_by_role("heading", name="Your activity").is_visible()
    whose = page.locator(".activity-who").all_inner_texts()
    assert whose and set(whose) == {"staff@northwind.test"}
    _check(page, f"activity-staff-{size}")
