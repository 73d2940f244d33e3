"""A label admin sets up Spotify in a real browser, on a 1440×900 desktop and a 390×844 phone:
the credential's page says what to register in the developer dashboard, and "Test connection"
says, in words, whether the sandbox (standing in for Spotify) accepts the stored secret."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import PlatformCredential
from app.tenants.context import Scope, scoped
from tests.e2e.accessibility import checked_screen
from tests.e2e.screens import SCREENS
from tests.e2e.signin import sign_in

SIZES = ("wide", "iphone-13")
SANDBOX_APP = "presave-sandbox-spotify"  # the sandbox's own app; its secret is "sandbox-secret"


@pytest.fixture
def owner_page(open_page, live_server, served_here, app):
    """A browser signed in as Northwind's label admin; Northwind's Spotify row goes afterwards."""
    pages = []

    def owner(size):
        page = sign_in(open_page(size), live_server, "owner@northwind.test")
        pages.append(page)
        return page
    yield owner
    with app.app_context(), scoped(Scope.platform()):
        for row in db.session.scalars(select(PlatformCredential).where(
                PlatformCredential.client_id == SANDBOX_APP)):
            db.session.delete(row)
        db.session.commit()


def _save(page, live_server, secret, pk=None):
    """The add (or edit) form filled and saved as a person would; returns the row's id."""
    page.goto(f"{live_server}/credentials/edit/{pk}" if pk else f"{live_server}/credentials/add")
    if pk is None:
        page.select_option("select#platform", "spotify")
    page.fill("#client_id", SANDBOX_APP)
    page.fill("#client_secret", secret)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(lambda url: "/add" not in url and "/edit/" not in url)
    if pk is None:  # FAB goes back to the page before the form; the new row is on the list
        page.goto(f"{live_server}/credentials/list/")
        href = page.locator('a[href*="/credentials/show/"]').first.get_attribute("href")
        pk = href.rstrip("/").rsplit("/", 1)[1]
    page.goto(f"{live_server}/credentials/show/{pk}")
    return pk


def _check(page, name):
    checked_screen(page, name, SCREENS / "credentials")


@pytest.mark.parametrize("size", SIZES)
def test_test_connection_says_whether_spotify_accepts_the_secret(owner_page, live_server, size):
    page = owner_page(size)
    pk = _save(page, live_server, "sandbox-secret")
    setup = page.locator(".credential-setup")
    assert f"{live_server}/s/_auth/spotify/callback" in setup.inner_text()
    assert setup.get_by_role("link", name="Spotify developer dashboard").is_visible()
    page.get_by_role("button", name="Test connection").click()
    answer = page.get_by_role("status")
    said = answer.inner_text().strip()
    assert said.startswith("Spotify accepted these credentials. In development mode Spotify "
                           "lets this app connect at most 5 fans")  # the form's default mode
    _check(page, f"credential-accepted-{size}")

    _save(page, live_server, "not-the-secret", pk)
    page.get_by_role("button", name="Test connection").click()
    assert page.get_by_role("status").inner_text().strip() == (
        "Spotify refused the client id or secret (invalid_client): check them in the Spotify "
        "developer dashboard.")
    assert "not-the-secret" not in page.content()
    _check(page, f"credential-refused-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_the_list_shows_every_platforms_setup(owner_page, live_server, size):
    page = owner_page(size)
    page.goto(f"{live_server}/credentials/list/")
    assert page.locator(".credential-setups tbody tr").count() == 6
    _check(page, f"credentials-list-{size}")
