"""The Delivery panel in a real browser: bars, warnings, the fan list, and the counts
refreshing by themselves on release day."""
from pathlib import Path

from sqlalchemy import update

from app.extensions import db
from app.models import PreSave
from app.tenants.context import Scope, scoped
from tests.e2e.screens import shoot

LOOK_HERE = Path("/tmp/presave-screens")


def test_panel_refreshes_on_release_day(app, login_as, live_server, ledger_release):
    release_id = ledger_release(days=0.02)
    page = login_as("staff@northwind.test")
    page.goto(f"{live_server}/releases/show/{release_id}")
    spotify = page.locator('.ledger-counts[data-kind="saves"] tr[data-platform="spotify"]')
    assert spotify.locator('.ledger-count[data-state="delivered"]').inner_text() == "1"
    assert page.locator(".ledger-live").is_visible()
    assert page.locator(".ledger-fans tbody tr").count() == 9
    page.locator("#delivery").scroll_into_view_if_needed()
    shoot(page, "release-delivery-panel", LOOK_HERE)
    with app.app_context(), scoped(Scope.platform("test")):
        db.session.execute(update(PreSave).where(
            PreSave.release_id == release_id, PreSave.platform == "spotify",
            PreSave.state == "pending").values(state="delivered"))
        db.session.commit()
    delivered = spotify.locator('.ledger-count[data-state="delivered"]')
    page.wait_for_function("el => el.textContent === '3'", arg=delivered.element_handle(),
                           timeout=15_000)
    assert spotify.locator(".ledger-total").inner_text() == "4"


def test_warnings_before_release_day(app, login_as, live_server, ledger_release):
    release_id = ledger_release([("Early Fan", "spotify", "save", "pending", 0, None)], days=200)
    page = login_as("staff@northwind.test")
    page.goto(f"{live_server}/releases/show/{release_id}")
    assert page.locator('.release-warning[data-kind="grants_expire"]').count() == 1
    assert page.locator(".delivery-panel[data-live='false']").count() == 1
    shoot(page, "release-warnings", LOOK_HERE)
