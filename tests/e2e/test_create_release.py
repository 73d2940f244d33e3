"""Staff create a release through the three-step page in a real browser."""
import re
from pathlib import Path

from PIL import Image
from playwright.sync_api import expect

from app.localtime import now_utc
from tests.e2e.accessibility import blocking_violations
from tests.e2e.screens import VIEWPORTS, shoot

YEAR = now_utc().year + 1
LOOK_HERE = Path("/tmp/presave-screens")


def artwork_file(tmp_path):
    path = tmp_path / "cover.png"
    Image.new("RGB", (800, 800), (30, 60, 120)).save(path)
    return path


def fill_track_info(page, title, artwork):
    page.select_option("#artist_id", label="Juniper Kites")
    page.fill("#title", title)
    page.set_input_files("#artwork", str(artwork))
    expect(page.locator(".artwork-preview")).to_be_visible()


def fill_dates(page):
    expect(page.locator("#timezone")).to_have_value("Europe/London")  # the artist's zone
    page.fill("#presave_opens_local", f"{YEAR}-02-01T10:00")
    page.fill("#release_date", f"{YEAR}-03-01")
    expect(page.locator("#release_time")).to_have_value("00:00")
    page.select_option("#timezone", "Europe/Berlin")
    page.check("input[name=platforms][value=deezer]")


def test_staff_creates_and_announces_a_release(page, live_server, login_as, tmp_path, unique):
    title = unique("Browser Song")
    login_as("staff@northwind.test")
    page.goto(f"{live_server}/releases/list/")
    page.click("a[href='/releases/add']")
    expect(page.locator("#step-track")).to_be_visible()
    expect(page.locator("#step-dates")).to_be_hidden()

    fill_track_info(page, title, artwork_file(tmp_path))
    shoot(page, "release-create", LOOK_HERE)
    page.click("text=Next: codes")
    expect(page.locator("input[name=kind][value=single]")).to_be_checked()
    page.check("input[name=kind][value=ep]")
    for size in ("phone", "desktop"):
        page.set_viewport_size(VIEWPORTS[size])
        found = blocking_violations(page)
        assert found == [], (size, found)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), size
        shoot(page, f"release-create-codes-{size}", LOOK_HERE)
    page.fill("#isrc", "GB-AAA-27-00042")
    page.fill("#upc", "012345678906")  # wrong check digit: the page must send us back here
    page.click("text=Next: dates")
    fill_dates(page)
    shoot(page, "release-create-dates", LOOK_HERE)
    page.click("button[value=announce]")

    expect(page.locator("#step-codes")).to_be_visible()
    expect(page.locator("[data-field=upc] .field-error")).to_contain_text("check digit is wrong")
    expect(page.locator("#artwork_kept")).to_have_value(re.compile(r"^[0-9a-f]{40}\.png$"))
    shoot(page, "release-create-errors", LOOK_HERE)
    page.fill("#upc", "012345678905")
    page.click("text=Next: dates")
    expect(page.locator("#timezone")).to_have_value("Europe/Berlin")
    page.click("button[value=announce]")

    page.wait_for_url("**/releases/show/*")
    expect(page.locator("h2")).to_contain_text(title)
    expect(page.locator("h2 .release-status")).to_have_text("Announced")
    expect(page.locator(".timing-table")).to_contain_text(f"{YEAR}-02-28 23:00 UTC")
    expect(page.locator(".countdown-value")).to_have_text(re.compile(r"\d+d \d\d:\d\d:\d\d"))
    expect(page.locator(".release-artwork")).to_be_visible()
    expect(page.locator("td.release-kind")).to_have_text("EP")
    shoot(page, "release-page", LOOK_HERE)

    page.click("text=All releases")
    expect(page.locator("h1, h2").first).to_be_visible()
    # The list as filtered by title: other tests' releases may fill its first page.
    page.goto(f"{page.url.split('?')[0]}?_flt_0_title={title}")
    row = page.locator("tbody tr", has_text=title)
    expect(row).to_contain_text("Announced")
    expect(row).to_contain_text("Juniper Kites")
    expect(row).to_contain_text(f"{YEAR}-03-01 00:00")
    expect(row).to_contain_text("Europe/Berlin")
    expect(row).to_contain_text(f"{YEAR}-02-28 23:00 UTC")
