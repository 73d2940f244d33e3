"""Account → Custom domains in a real browser, on a phone and a desk: a label admin is refused
the service's own address with the reason beside the field, adds a domain and reads the
records to set, checks it (the check reaches the app itself on loopback), turns it on and
removes it; no sideways scroll and no serious axe violation."""
import uuid
from pathlib import Path

import pytest
from sqlalchemy import delete

from app.models import CustomDomain
from tests.dns_server import asked_by
from tests.e2e.accessibility import checked_screen
from tests.e2e.signin import sign_in
from tests.release_day_runs import ctx

LOOK_HERE = Path("/tmp/presave-screens")


@pytest.fixture
def dns_server(app, monkeypatch):
    with asked_by(app, monkeypatch) as server:
        yield server


@pytest.mark.parametrize("size", ["iphone-13", "desktop"])
def test_a_label_admin_adds_proves_serves_and_removes_a_domain(app, open_page, live_server,
                                                               dns_server, monkeypatch, size):
    monkeypatch.setitem(app.config, "DOMAIN_CHECK_ADDRESS", live_server.removeprefix("http://"))
    hostname = f"music-{uuid.uuid4().hex[:8]}.northwind-records.example.test"
    page = sign_in(open_page(size), live_server, "owner@northwind.test")
    try:
        page.goto(f"{live_server}/domains/")
        page.get_by_label("Hostname").fill("presave.test")
        page.get_by_role("button", name="Add domain").click()
        assert "this service's own address" in page.locator("#hostname-help").inner_text()
        checked_screen(page, f"domains-refused-{size}", LOOK_HERE)
        page.get_by_label("Hostname").fill(hostname)
        page.get_by_role("button", name="Add domain").click()
        card = page.locator(".domain-card", has_text=hostname)
        assert "Waiting for proof" in card.inner_text()
        assert f"_presave.{hostname}" in card.inner_text()
        checked_screen(page, f"domains-pending-{size}", LOOK_HERE)
        card.get_by_role("button", name="Check now").click()
        assert "Proven by its web address" in page.locator(".alert").first.inner_text()
        card.get_by_role("button", name="Serve fan pages here").click()
        assert "Serving your fan pages" in card.inner_text()
        checked_screen(page, f"domains-serving-{size}", LOOK_HERE)
        page.once("dialog", lambda dialog: dialog.accept())
        card.get_by_role("button", name="Remove").click()
        page.wait_for_selector(".alert")
        assert card.count() == 0
    finally:
        with ctx(app) as session:
            session.execute(delete(CustomDomain).where(CustomDomain.hostname == hostname))
            session.commit()
