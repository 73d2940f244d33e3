"""Account → Data retention in a real browser, on a phone and a desk: a label admin reads the
limits and what the next run will delete, is refused an audit limit under a year with the
reason beside the field, then saves; no sideways scroll and no serious axe violation."""
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from app.models import Label, RetentionPolicy
from tests.e2e.accessibility import checked_screen
from tests.e2e.signin import sign_in
from tests.release_day_runs import ctx

LOOK_HERE = Path("/tmp/presave-screens")


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_label_admin_sets_how_long_data_is_kept(app, open_page, live_server, size):
    page = sign_in(open_page(size), live_server, "owner@northwind.test")
    try:
        page.goto(f"{live_server}/retention/")
        assert page.get_by_label("Audit trail entries").input_value() == "1095"
        assert page.locator("tr[data-rule='events']").count() == 1
        checked_screen(page, f"retention-{size}", LOOK_HERE)
        page.get_by_label("Audit trail entries").fill("200")
        page.get_by_role("button", name="Save").click()
        error = page.locator("#audit_days-help")
        assert "At least 365 days" in error.inner_text()
        checked_screen(page, f"retention-refused-{size}", LOOK_HERE)
        page.get_by_label("Audit trail entries").fill("730")
        page.get_by_role("button", name="Save").click()
        assert "Saved" in page.locator(".alert").first.inner_text()
        assert page.get_by_label("Audit trail entries").input_value() == "730"
    finally:
        with ctx(app) as session:
            label_id = session.scalar(select(Label.id).where(Label.slug == "northwind"))
            session.execute(delete(RetentionPolicy).where(RetentionPolicy.label_id == label_id))
            session.commit()
