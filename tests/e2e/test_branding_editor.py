"""The artist form as a branding editor in a real browser: the fan page preview follows a colour
as it changes, a pair below 4.5:1 is flagged under the colours, and the page fits a desk and a
phone without sideways scrolling or serious accessibility violations."""
import re

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Artist
from app.tenants.context import Scope, scoped
from tests.conftest import DEMO_PASSWORDS
from tests.e2e.accessibility import blocking_violations
from tests.e2e.screens import shoot

LOOK_HERE = "/tmp/presave-screens"


@pytest.fixture
def editing(app, open_page, live_server):
    """editing(size) -> a page on Aurora Vale's edit form, as Northwind's staff."""
    with app.app_context(), scoped(Scope.platform()):
        artist_id = db.session.scalar(select(Artist.id).where(Artist.slug == "aurora-vale"))

    def _open(size):
        page = open_page(size)
        page.goto(f"{live_server}/login/")
        page.fill("#username", "staff@northwind.test")
        page.fill("#password", DEMO_PASSWORDS["staff@northwind.test"])
        page.click("input[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto(f"{live_server}/artists/edit/{artist_id}")
        expect(preview(page).locator("h1.title")).to_be_visible()
        return page
    return _open


def preview(page):
    return page.frame_locator("iframe[name=fan-preview]")


def set_colour(page, field, value):
    page.fill(f"#{field}", value)


def test_the_preview_follows_a_colour_and_a_failing_pair_is_flagged(editing):
    page = editing("wide")
    pill = preview(page).locator(".pill-presave")
    action = preview(page).locator(".mode-direct .pbtn-action").first
    set_colour(page, "background_color", "#101820")
    set_colour(page, "text_color", "#f5f5f5")
    set_colour(page, "accent_color", "#ffcc00")
    expect(preview(page).locator("body")).to_have_css("background-color", "rgb(16, 24, 32)")
    expect(pill).to_have_css("background-color", "rgb(255, 204, 0)")
    expect(page.locator(".color-swatch[data-hex=background_color]")).to_have_value("#101820")
    expect(page.locator(".contrast-pass")).to_have_count(3)
    expect(page.locator(".contrast-fail")).to_have_count(0)

    set_colour(page, "accent_color", "#ff0000")  # white on it: 3.9:1
    expect(page.locator(".contrast-fail").first).to_have_text(
        "Accent button text (white) 3.9:1 — below 4.5:1: fans may not read it; the page will "
        "shade the buttons to #e60000 (4.8:1)")
    expect(page.locator(".contrast-fail")).to_have_count(2)
    expect(page.locator(".contrast-list")).to_contain_text("Text on background 16.4:1 ✓")
    expect(action).to_have_css("background-color", "rgb(230, 0, 0)")  # as the list says
    expect(pill).to_have_css("background-color", "rgb(245, 245, 245)")  # the text colour
    shoot(page, "branding-editor-wide", LOOK_HERE)
    assert page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth") <= 0
    assert blocking_violations(page) == []

    set_colour(page, "accent_color", "#ff00")
    expect(page.locator("[data-field=accent_color] .color-error")).to_be_visible()
    expect(page.locator("#accent_color")).to_have_attribute("aria-invalid", "true")


def test_the_editor_fits_a_phone(editing):
    page = editing("iphone-13")
    page.locator(".fan-preview").scroll_into_view_if_needed()
    set_colour(page, "background_color", "#ffffff")
    set_colour(page, "text_color", "#111111")
    set_colour(page, "accent_color", "#ffee00")
    expect(page.locator(".contrast-fail")).to_contain_text("Accent on background")
    expect(preview(page).locator(".pbtn-action").first).to_have_css("background-color",
                                                                    "rgb(255, 238, 0)")
    shoot(page, "branding-editor-iphone-13", LOOK_HERE)
    assert page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth") <= 0
    assert blocking_violations(page) == []


def test_a_new_artist_sees_a_stand_in_release_in_its_colours(editing, live_server, tmp_path):
    page = editing("wide")
    page.goto(f"{live_server}/artists/add")
    expect(preview(page).locator("h1.title")).to_have_text("Your next release")
    page.fill("#name", "Brand New Artist")
    image = tmp_path / "face.png"
    Image.new("RGB", (400, 400), (200, 30, 90)).save(image)
    page.set_input_files("#image_upload", str(image))
    expect(page.locator(".image-preview")).to_be_visible()
    expect(preview(page).locator(".artist .avatar")).to_have_attribute(
        "src", re.compile(r"^data:image/png;base64,"))
    expect(preview(page).locator(".artist")).to_contain_text("Brand New Artist")
    shoot(page, "branding-editor-new-wide", LOOK_HERE)
    assert blocking_violations(page) == []
