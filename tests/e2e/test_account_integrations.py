"""Account → Ad pixels and Account → Email tools in a real browser, on a phone and a desk: a
label admin saves a pixel and connects Mailchimp; no sideways scroll, no serious axe
violation."""
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import AdPixels, AudienceConnection, Label
from app.sandbox import mailchimp as mailchimp_sandbox
from app.views.public.speed import page_version
from tests.e2e.accessibility import checked_screen
from tests.e2e.signin import sign_in
from tests.release_day_runs import ctx

LOOK_HERE = Path("/tmp/presave-screens")


def _check(page, name):
    checked_screen(page, name, LOOK_HERE)


@pytest.mark.parametrize("size", ["iphone-13", "wide"])
def test_a_label_admin_sets_pixels_and_connects_mailchimp(app, open_page, live_server, size):
    with app.app_context():
        list_id = mailchimp_sandbox.create_list("Northwind fans")
    page = sign_in(open_page(size), live_server, "owner@northwind.test")
    try:
        page.goto(f"{live_server}/ad-pixels/")
        _check(page, f"ad-pixels-{size}")
        page.get_by_label("Meta Pixel id").fill("1234567890123456")
        page.get_by_role("button", name="Save").click()
        assert "Saved: fan pages ask visitors" in page.locator(".alert").first.inner_text()
        page.goto(f"{live_server}/email-tools/")
        tool = page.locator("#tool-mailchimp")
        tool.get_by_label("API key").fill(mailchimp_sandbox.SANDBOX_KEY)
        tool.get_by_label("Aurora Vale").fill(list_id)
        tool.get_by_role("button", name="Save").click()
        page.locator("#tool-mailchimp").get_by_role("button", name="Check connection").click()
        assert "Mailchimp works" in page.locator(".alert").first.inner_text()
        _check(page, f"email-tools-{size}")
    finally:
        with ctx(app) as session:
            label_id = session.scalar(select(Label.id).where(Label.slug == "northwind"))
            for model in (AdPixels, AudienceConnection):
                for row in session.scalars(select(model).where(model.label_id == label_id)):
                    session.delete(row)
            session.commit()
            page_version.bump()  # Northwind's fan pages ask nothing again at once
