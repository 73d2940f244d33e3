"""Browser tests: the session app served on a free local port (tests/conftest.py's
live_server), driven by Debian's Chromium."""
from pathlib import Path

import pytest

from tests.e2e.screens import VIEWPORTS
from tests.e2e.signin import sign_in
# Shared with the HTTP tests of the same journey; kept there so both use one definition.

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser):
    """open_page(size="phone", user_agent=None, locale=None) -> a page in a browser context of
    its own (``locale``: the browser's language, sent as Accept-Language)."""
    contexts = []

    def _open(size="phone", user_agent=None, locale=None):
        options = {"viewport": VIEWPORTS[size], "device_scale_factor": 1 if size == "desktop" else 2}
        if user_agent:
            options["user_agent"] = user_agent
        if locale:
            options["locale"] = locale
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def login_as(page, live_server):
    """Sign in through the login form, as a person would."""
    def _login(email, password=None):
        return sign_in(page, live_server, email, password)
    return _login
