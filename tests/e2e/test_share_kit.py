"""The share kit of the release page in a real browser, on a phone and a desk: staff make a
link for a channel with a preset, copy it, and the QR code on the page scans back to the fan
page's short link; no sideways scroll and no serious axe violation."""
import io
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from app.models import Release, ShortLink
from tests.e2e.accessibility import checked_screen
from tests.e2e.signin import sign_in
from tests.release_day_runs import ctx

LOOK_HERE = Path("/tmp/presave-screens")


def _check(page, name):
    checked_screen(page, name, LOOK_HERE)


@pytest.mark.parametrize("size", ["iphone-13", "wide"])
def test_staff_make_a_channel_link_and_the_qr_code_scans(app, open_page, live_server,
                                                         active_release, size):
    slug = active_release()
    with ctx(app) as session:
        release_id = session.scalar(select(Release.id).where(Release.slug == slug))
    page = sign_in(open_page(size), live_server, "staff@northwind.test")
    page.goto(f"{live_server}/releases/show/{release_id}#share-kit")
    kit = page.locator("#share-kit")
    kit.scroll_into_view_if_needed()
    _check(page, f"share-kit-{size}")

    main_url = page.locator("#share-main-url").input_value()
    shot = page.locator("#share-kit svg.share-qr").screenshot(path=str(LOOK_HERE / f"qr-{size}.png"))
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))] == [main_url]

    kit.get_by_label("Where it goes").select_option(label="TikTok bio")
    assert kit.get_by_label("Source (utm_source)").get_attribute("placeholder") == "tiktok"
    kit.get_by_label("Name (only staff see it)").fill("TikTok bio")
    kit.get_by_label("Content (utm_content)").fill("launch-week")
    kit.get_by_role("button", name="Make link").click()
    page.wait_for_url(lambda url: "#share-kit" in url)
    assert "The short link “TikTok bio” was made" in page.locator(".alert").first.inner_text()
    with ctx(app) as session:
        link = session.scalars(select(ShortLink).where(ShortLink.release_id == release_id,
                                                       ShortLink.name == "TikTok bio")).one()
        assert link.utm == {"utm_source": "tiktok", "utm_medium": "social",
                            "utm_campaign": slug, "utm_content": "launch-week"}
        code = link.code
    row = page.locator(f'#share-kit tr[data-code="{code}"]')
    assert row.locator("input").input_value().endswith(f"/r/{code}")
    kit.scroll_into_view_if_needed()
    _check(page, f"share-kit-made-{size}")

    # The link takes a browser to the fan page with its tags.
    page.goto(f"{live_server}/r/{code}")
    assert page.url.startswith(f"{live_server}/s/aurora-vale/{slug}?utm_source=tiktok")
