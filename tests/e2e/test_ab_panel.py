"""The A/B test panel of the release page in a real browser, on a phone and a desk: staff add a
variant through the form, see the draft with its share per variant, start it; no sideways
scroll and no serious axe violation at any step."""
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import Release
from tests.e2e.accessibility import checked_screen
from tests.e2e.signin import sign_in
from tests.release_day_runs import ctx

LOOK_HERE = Path("/tmp/presave-screens")


def _check(page, name):
    checked_screen(page, name, LOOK_HERE)


@pytest.mark.parametrize("size", ["iphone-13", "wide"])
def test_staff_add_a_variant_and_start_the_test(app, open_page, live_server, active_release,
                                                size):
    slug = active_release()
    with ctx(app) as session:
        release_id = session.scalar(select(Release.id).where(Release.slug == slug))
    page = sign_in(open_page(size), live_server, "staff@northwind.test")
    page.goto(f"{live_server}/releases/show/{release_id}#ab-test")
    panel = page.locator("#ab-test")
    panel.scroll_into_view_if_needed()
    _check(page, f"ab-panel-empty-{size}")
    panel.get_by_label("Name (only staff see it)").fill("Night sky")
    panel.get_by_label("Headline").fill("Heard it first at midnight")
    panel.get_by_role("button", name="Add the variant").click()
    page.wait_for_url(lambda url: "#ab-test" in url)
    assert "Variant B was added" in page.locator(".alert").first.inner_text()
    rows = page.locator("#ab-test tr[data-variant]")
    assert rows.count() == 2 and "50%" in rows.nth(1).inner_text()
    page.locator("#ab-test").scroll_into_view_if_needed()
    _check(page, f"ab-panel-draft-{size}")
    page.get_by_role("button", name="Start the test").click()
    page.wait_for_url(lambda url: "#ab-test" in url)
    assert page.locator("#ab-test .label-success").inner_text() == "running"
    page.locator("#ab-test").scroll_into_view_if_needed()
    _check(page, f"ab-panel-running-{size}")
