"""Staff send a blast in a real browser, on a 1440×900 desktop and a 390×844 phone: they write
it, choose its fans, see the count and the preview, send a test to themselves, send it; a real
worker sends it through SMTP to the development mail catcher; the Outbox shows it and the
Messages page counts it. Each page: no sideways scroll, no serious axe violation."""
import uuid

import pytest
from sqlalchemy import select

from app.models import Artist, Consent, Fan
from tests.e2e.accessibility import checked_screen
from tests.e2e.screens import SCREENS
from tests.e2e.signin import sign_in
from tests.message_runs import work
from tests.release_day_runs import ctx
from tests.smtp_server import caught_soon

SIZES = ("wide", "iphone-13")


def fan_in(app, city):
    with ctx(app) as session:
        artist = session.scalars(select(Artist).where(Artist.slug == "aurora-vale")).one()
        email = f"fan-{uuid.uuid4().hex[:8]}@example.com"
        fan = Fan(artist=artist, label_id=artist.label_id, artist_id=artist.id, city=city,
                  country="NO", name="Ingrid Berg", email=email)
        session.add(fan)
        session.flush()
        session.add(Consent(fan=fan, fan_id=fan.id, label_id=fan.label_id, artist_id=artist.id,
                            purpose="email_marketing", wording="News"))
        session.commit()
        return email


def _check(page, name):
    checked_screen(page, name, SCREENS / "messages")


@pytest.mark.parametrize("size", SIZES)
def test_staff_compose_test_and_send_a_blast(app, open_page, live_server, served_here,
                                             mail_catcher, size):
    city = f"Tromsø-{uuid.uuid4().hex[:6]}"
    email = fan_in(app, city)
    page = sign_in(open_page(size), live_server, "staff@northwind.test")

    page.goto(f"{live_server}/blasts/new")
    page.fill("#name", f"Northern lights tour {size}")
    page.fill("#subject", "{artist_name} plays {fan_first_name}'s town")
    page.fill("#body", "Hi {fan_first_name},\n\nAurora Vale comes to Tromsø in March.")
    page.fill("#city", city)
    _check(page, f"blast-form-{size}")
    page.get_by_role("button", name="Count and preview").click()
    assert page.locator('[data-count="fans"]').inner_text() == "1"
    preview = page.locator(".blast-preview")
    assert "As Ingrid Berg reads it" in preview.inner_text()
    assert "Aurora Vale plays Ingrid's town" in preview.inner_text()
    _check(page, f"blast-preview-{size}")

    page.get_by_role("button", name="Send a test to me").click()
    assert "A test went to staff@northwind.test" in page.locator(".alert").first.inner_text()
    tested = [m for m in caught_soon(mail_catcher) if m.to == "staff@northwind.test"]
    assert tested and tested[0].subject == "[Test] Aurora Vale plays Ingrid's town"

    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_url(lambda url: "/messages/" in url)
    assert "is on its way to 1 recipient" in page.locator(".alert").first.inner_text()
    work(app)  # a real worker on the messages queue sends it through SMTP to the catcher
    (sent,) = [m for m in caught_soon(mail_catcher, 2) if m.to == email]
    page.reload()
    assert "1 sent" in page.locator(".message-tally").first.inner_text()
    _check(page, f"blast-message-{size}")

    page.goto(f"{live_server}/outbox/")
    row = page.get_by_role("link", name="Aurora Vale plays Ingrid's town").first
    assert row.is_visible()
    _check(page, f"outbox-{size}")
    page.goto(f"{live_server}/outbox/{sent.key}")
    assert page.frame_locator("iframe.outbox-html").locator("body").inner_text().count(
        "Aurora Vale comes to Tromsø in March.") == 1
    _check(page, f"outbox-message-{size}")

    page.goto(f"{live_server}/messages/")
    line = page.locator("tr", has_text=f"Northern lights tour {size}")
    assert "1 sent" in line.inner_text()
    _check(page, f"messages-{size}")
