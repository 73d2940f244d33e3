"""The label workspace in a real browser, as each role, on a 1440×900 desktop and a 390×844
phone: the overview (the artist's own home), a release page and its delivery panel fit the
screen without sideways scrolling and carry no serious accessibility violation."""
import re

import pytest

from tests.conftest import DEMO_PASSWORDS
from tests.fan_journey import sandbox_decision, start
from tests.e2e.accessibility import blocking_violations
from tests.e2e.screens import shoot

LOOK_HERE = "/tmp/presave-screens"
SIZES = ("wide", "iphone-13")
HOMES = {"owner@northwind.test": "/overview/", "staff@northwind.test": "/overview/",
         "admin@presave.test": "/overview/", "artist@northwind.test": "/my/"}


@pytest.fixture
def signed_in(open_page, live_server):
    def sign_in(email, size):
        page = open_page(size)
        page.goto(f"{live_server}/login/")
        page.fill("#username", email)
        page.fill("#password", DEMO_PASSWORDS[email])
        page.click("input[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        return page
    return sign_in


def sideways_scroll(page):
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


# What sticks out past the screen's right edge (a table scrolling in its own box does not).
STICKING_OUT = """[...document.querySelectorAll('body *')]
  .filter(e => !e.closest('.table-responsive') && e.getBoundingClientRect().right > innerWidth + 1)
  .slice(0, 5).map(e => e.tagName + '.' + e.className)"""


def _check(page, name):
    shoot(page, name, LOOK_HERE)
    assert sideways_scroll(page) <= 0, f"{name} scrolls sideways: {page.evaluate(STICKING_OUT)}"
    assert blocking_violations(page) == []


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("email", sorted(HOMES))
def test_home_fits_and_reads(signed_in, live_server, email, size):
    page = signed_in(email, size)
    assert page.url == f"{live_server}{HOMES[email]}"
    assert page.locator("h1, h2").first.is_visible()
    _check(page, f"home-{email.split('@')[0]}-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_release_night_from_a_phone_or_a_desk(signed_in, live_server, ledger_release, size):
    release_id = ledger_release(days=0.02)
    page = signed_in("staff@northwind.test", size)
    page.goto(f"{live_server}/overview/")
    assert page.locator(f'.overview-drop[data-release="{release_id}"]').is_visible()
    page.goto(f"{live_server}/releases/show/{release_id}")
    assert page.locator(".ledger-live").is_visible()
    _check(page, f"release-page-{size}")
    page.locator("#delivery").scroll_into_view_if_needed()
    assert page.locator(".ledger-fans tbody tr").count() == 9


# The releases like the ones these tests make: others store titles such as '[1, {"a": 2}]'.
LISTS = ("/artists/list/", "/releases/list/?_flt_0_title=Flow Song", "/fans/list/",
         "/presaves/list/", "/consents/list/", "/label-users/list/")
RAW = r"^(None|True|False)$|\[|\]|\d\d:\d\d:\d\d\.\d"


@pytest.mark.parametrize("size", SIZES)
def test_every_list_reads_as_words_and_fits(signed_in, live_server, ledger_release, app,
                                            active_release, unique, size):
    ledger_release()  # fans and pre-saves in every ledger state
    fan = app.test_client()  # and one who gave a consent on the fan page
    going = start(fan, active_release(), email=f"{unique('lists')}@example.com",
                  consent_email_marketing="1")
    fan.get(sandbox_decision(fan, going.headers["Location"]))
    page = signed_in("owner@northwind.test", size)
    for path in LISTS:
        page.goto(f"{live_server}{path}")
        assert page.locator("h1").count() == 1, path
        cells = page.locator("table td").all_inner_texts()
        assert cells and [c for c in cells if re.search(RAW, c.strip())] == [], path
        _check(page, f"list{path.split('?')[0].replace('/', '-').rstrip('-')}-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_your_details_page_offers_the_time_zone(signed_in, live_server, size):
    page = signed_in("staff@harbor.test", size)
    page.goto(f"{live_server}/userinfoeditview/form")
    assert page.locator("select#timezone option").first.inner_text() == "My label's zone"
    _check(page, f"your-details-{size}")
