"""The fan journey on a label's own domain, in a real browser through a real Caddy
(deploy/Caddyfile with its internal CA, as tests/integration/test_caddy_front.py runs it).

The fan opens https://<domain>/<artist>/<release>, taps Spotify, signs in on the sandbox (on
the instance's host), agrees, and the callback (on the instance's host, the one address the
platforms know) relays the answer to the domain, where the sign-in is finished: the page says
"You're set" and keeps saying it, the fan cookie the domain's own, under /<artist>.

Caddy listens on a free loopback port, not 443: this browser maps every hostname to it
(--host-resolver-rules with a port), so the URLs and the app's redirects all stay portless, as
in production. The certificates themselves are checked by the curl-based test;
here the browser's context ignores HTTPS errors (Caddy's local CA is not in its store).
"""
import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Fan, PreSave
from app.tenants.context import Scope, scoped
from tests import caddy_front
from tests.caddy_front import INSTANCE_HOST
from tests.e2e.accessibility import checked_screen
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.screens import VIEWPORTS

caddy, labels = caddy_front.caddy, caddy_front.labels  # the module's fixtures
SPOTIFY = "Pre-Save on Spotify"
LOOK_HERE = Path("/tmp/presave-screens")


@pytest.fixture(scope="module")
def browser_to_caddy(browser, caddy):
    """A Chromium of its own that reaches every hostname's port 443 at Caddy's HTTPS port,
    launched by the session's Playwright (a second sync_playwright() in one process fails)."""
    rules = f"--host-resolver-rules=MAP * 127.0.0.1:{caddy.https_port}"
    own = browser.browser_type.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, rules])
    yield own
    own.close()


@pytest.fixture
def phone(browser_to_caddy):
    context = browser_to_caddy.new_context(viewport=VIEWPORTS["phone"], device_scale_factor=2,
                                           ignore_https_errors=True)
    context.set_default_timeout(15_000)
    yield context
    context.close()


def _navigations(page):
    """Every address the tab goes to from now on: each request of a navigation (a redirect's
    hops included) and each page it lands on (framenavigated)."""
    seen = []
    page.on("request", lambda request: seen.append(("request", request.method, request.url))
            if request.is_navigation_request() and request.frame == page.main_frame else None)
    page.on("framenavigated", lambda frame: seen.append(("landed", "", frame.url))
            if frame == page.main_frame else None)
    return seen


def _where(url):
    """(host, path) of a URL, its query left out."""
    parts = urlsplit(url)
    return parts.hostname, parts.path


def _presaves(app, release_id):
    with app.app_context(), scoped(Scope.platform()):
        rows = db.session.execute(
            select(PreSave.platform, PreSave.action, PreSave.state, Fan.email, Fan.name)
            .join(Fan, Fan.id == PreSave.fan_id).where(PreSave.release_id == release_id)).all()
    return [tuple(row) for row in rows]


def _log_tail(caddy):
    return f"\n--- Caddy's log ---\n{caddy.log_tail()}"


def test_a_fan_pre_saves_on_a_labels_domain_and_the_page_stays_theirs(app, caddy, labels,
                                                                    phone):
    north, south = labels["North"], labels["South"]
    host, artist = north["host"], north["artist"]
    release_url = f"https://{host}{north['page']}"
    page = phone.new_page()

    opened = page.goto(release_url)
    assert opened.status == 200, _log_tail(caddy)
    assert opened.header_value("strict-transport-security") == "max-age=31536000"  # via Caddy
    assert page.url == release_url
    navigations = _navigations(page)
    page.get_by_role("button", name=SPOTIFY).click()  # the tap: the artist's details step
    expect(page.locator("h1.step-title")).to_have_text(SPOTIFY)
    email = f"fan-{uuid.uuid4().hex[:8]}@example.com"
    page.locator("#f-name").fill("Ada Fan")
    page.locator("#f-email").fill(email)
    page.get_by_role("button", name=SPOTIFY).click()

    expect(page).to_have_url(re.compile(
        rf"^https://{re.escape(INSTANCE_HOST)}/sandbox/spotify/authorize\?"))
    expect(page.get_by_role("heading", name="Spotify")).to_be_visible()
    page.get_by_role("button", name="Agree").click()
    page.wait_for_url(release_url)
    expect(page.locator(".done")).to_contain_text("You're set")
    expect(page.locator(".done")).to_contain_text("added to your Spotify library")
    expect(page.locator(".notice")).to_have_count(0)  # the flashed message is the panel's

    # From the details step on: out through the instance's host, back through the domain's.
    requested = [_where(url) for kind, _, url in navigations if kind == "request"]
    after_details = requested[requested.index((host, f"{north['page']}/presave"), 1):]
    assert after_details == [
        (host, f"{north['page']}/presave"),  # the details sent
        (INSTANCE_HOST, "/sandbox/spotify/authorize"),  # the sign-in page shown
        (INSTANCE_HOST, "/sandbox/spotify/authorize"),  # Agree
        (INSTANCE_HOST, "/s/_auth/spotify/callback"),  # the one address the platform knows
        (host, f"/{artist}/signed-in/spotify"),  # relayed: finished where it began
        (host, north["page"]),
    ], navigations
    landed = [_where(url) for kind, _, url in navigations if kind == "landed"]
    assert landed[-2:] == [(INSTANCE_HOST, "/sandbox/spotify/authorize"),
                           (host, north["page"])], navigations
    assert all(urlsplit(url).scheme == "https" and urlsplit(url).port is None
               for _, _, url in navigations), navigations
    assert page.url == release_url

    # The fan cookie is the domain's own, host-only, for the artist's pages there.
    cookies = phone.cookies()
    fan_cookies = [c for c in cookies if c["name"].startswith("presave_fan_")]
    assert [(c["domain"], c["path"]) for c in fan_cookies] == [(host, f"/{artist}")], cookies
    assert not [c for c in cookies if c["domain"].lstrip(".") == host
                and c["path"].startswith("/s")], cookies
    assert _presaves(app, north["release_id"]) == [
        ("spotify", "save", "pending", email, "Ada Fan")]

    page.reload()
    assert page.url == release_url
    expect(page.locator(".done")).to_contain_text("You're set")
    checked_screen(page, "custom-domain-youre-set", LOOK_HERE)

    # Another label's artist is not on this domain.
    missing = page.goto(f"https://{host}{south['page']}")
    assert missing.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert _presaves(app, south["release_id"]) == []
