"""The ad cookie question in a real browser, on a phone and a desk: before an answer the page
asks for nothing outside the instance (Playwright's request log); refusing is one tap, the same
size as accepting, and is remembered; after a yes exactly the configured pixels' hosts are
requested. No sideways scroll, no serious axe violation."""
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.ad_pixel_setup import set_pixels
from tests.e2e.accessibility import checked_screen
from tests.own_label import new_release, own_label  # noqa: F401

LOOK_HERE = Path("/tmp/presave-screens")


def hosts_asked(page, visit, own):
    """The hosts the page requested while ``visit`` ran, besides the instance's own."""
    asked = []
    page.on("request", lambda request: asked.append(urlsplit(request.url).netloc))
    visit()
    page.wait_for_timeout(300)
    return sorted({host for host in asked if host and host != own})


def check(page, name):
    checked_screen(page, name, LOOK_HERE)


@pytest.mark.parametrize("size", ["iphone-13", "wide"])
def test_refusing_is_as_easy_as_accepting_and_nothing_loads_before(app, open_page, live_server,
                                                                   own_label, size):
    label_id, artist = own_label
    set_pixels(app, label_id)
    _, path = new_release(app, artist)
    page = open_page(size)
    url = f"{live_server}{path}"
    own = urlsplit(live_server).netloc
    assert hosts_asked(page, lambda: page.goto(url), own) == []
    question = page.locator(".ads-question")
    refuse = question.get_by_role("button", name="Refuse")
    accept = question.get_by_role("button", name="Accept")
    assert refuse.is_visible() and accept.is_visible()
    sizes = [button.bounding_box() for button in (refuse, accept)]
    assert abs(sizes[0]["width"] - sizes[1]["width"]) < 2
    assert abs(sizes[0]["height"] - sizes[1]["height"]) < 1 and sizes[0]["height"] >= 44
    check(page, f"ads-question-{size}")
    assert hosts_asked(page, refuse.click, own) == []
    page.wait_for_url(url)
    assert page.locator(".ads-question").count() == 0
    assert hosts_asked(page, lambda: page.goto(url), own) == []  # remembered
    assert page.locator(".ads-question").count() == 0


def test_a_yes_requests_exactly_the_configured_pixels(app, open_page, live_server, own_label):
    label_id, artist = own_label
    set_pixels(app, label_id, google=None)
    _, path = new_release(app, artist)
    page = open_page("iphone-13")
    url = f"{live_server}{path}"
    page.goto(url)
    accept = page.locator(".ads-question").get_by_role("button", name="Accept")
    assert hosts_asked(page, accept.click, urlsplit(live_server).netloc) == [
        "analytics.tiktok.com", "connect.facebook.net"]
    assert page.locator(".ads-question").count() == 0
    check(page, "ads-accepted-iphone-13")
