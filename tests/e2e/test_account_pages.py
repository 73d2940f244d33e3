"""The signed-out account pages in a real browser, on a 1440×900 desktop and a 390×844 phone:
accepting an invitation (set a password, then sign in) and signing in with a two-factor code.
Each page fits the screen and carries no serious accessibility violation."""
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from app.crypto import keyring
from app.extensions import db
from app.localtime import now_utc
from app.models import Label, PresaveUser
from app.tenants import accounts
from app.tenants.context import Scope, scoped
from tests.e2e.accessibility import blocking_violations
from tests.e2e.screens import shoot
from tests.invitations import MAIL_DOMAIN, PASSWORD

SIZES = ("wide", "iphone-13")


@pytest.fixture
def person(app, unique):
    """make(kind) -> (email, what it needs) of a new Northwind staff: "invited" (the invitation
    token), "password" (None) or "two_factor" (the TOTP secret)."""
    made = []

    def make(kind="invited"):
        email = f"{unique('browser')}@{MAIL_DOMAIN}"
        with app.app_context(), scoped(Scope.platform()):
            label = db.session.scalars(select(Label).where(Label.slug == "northwind")).one()
            user = PresaveUser(first_name="Sam", last_name="Browser", username=email,
                               email=email, active=True, label_id=label.id,
                               roles=[app.appbuilder.sm.find_role("Label Staff")])
            db.session.add(user)
            db.session.flush()
            made.append(user.id)
            if kind == "invited":
                token, _ = accounts.issue(user, accounts.INVITE, actor="test")
                db.session.commit()
                return email, token
            accounts.set_password(user, PASSWORD)
            if kind == "password":
                db.session.commit()
                return email, None
            secret = accounts.new_totp_secret()
            user.set_totp_secret(keyring(), secret)
            user.totp_enabled_at = now_utc()
            db.session.commit()
            return email, secret

    yield make
    with app.app_context(), scoped(Scope.platform()):
        for pk in made:
            db.session.delete(db.session.get(PresaveUser, pk))
        db.session.commit()


def _check(page, name, folder):
    shoot(page, name, folder)
    assert page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth") <= 0
    assert blocking_violations(page) == []


def _sign_in(page, live_server, email, password=PASSWORD):
    page.goto(f"{live_server}/login/")
    page.fill("#username", email)
    page.fill("#password", password)
    page.click("input[type=submit]")


@pytest.mark.parametrize("size", SIZES)
def test_an_invitation_is_accepted_in_the_browser(open_page, live_server, person, tmp_path,
                                                  size):
    email, token = person()
    page = open_page(size)
    page.goto(f"{live_server}/account/invitation/{token}")
    assert page.locator("h1").inner_text() == "Welcome to Presave"
    assert page.locator("#email").input_value() == email
    _check(page, f"invitation-{size}", tmp_path)
    page.fill("#password", PASSWORD)
    page.fill("#conf_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(lambda url: "/login" in url)
    assert "Your password is set" in page.locator(".alert").first.inner_text()
    _check(page, f"login-after-invitation-{size}", tmp_path)
    _sign_in(page, live_server, email)
    page.wait_for_url(lambda url: "/overview" in url)


@pytest.mark.parametrize("size", SIZES)
def test_two_factor_sign_in_in_the_browser(open_page, live_server, person, tmp_path, size):
    email, secret = person("two_factor")
    page = open_page(size)
    _sign_in(page, live_server, email)
    page.wait_for_url(lambda url: url.endswith("/login/code"))
    page.fill("#code", "000000")
    page.click("input[type=submit]")
    assert "That code is not right" in page.locator(".account-error").inner_text()
    _check(page, f"two-factor-code-{size}", tmp_path)
    page.fill("#code", pyotp.TOTP(secret).at(now_utc() + timedelta(seconds=30)))
    page.click("input[type=submit]")
    page.wait_for_url(lambda url: "/overview" in url)


@pytest.mark.parametrize("size", SIZES)
def test_two_factor_is_set_up_from_the_profile(open_page, live_server, person, tmp_path, size):
    email, _ = person("password")
    page = open_page(size)
    _sign_in(page, live_server, email)
    page.wait_for_url(lambda url: "/overview" in url)
    page.goto(f"{live_server}/users/userinfo/")
    page.click("text=Set up two-factor sign-in")
    page.click("input[value='Set up two-factor sign-in']")
    secret = page.locator("#totp-secret").inner_text()
    assert page.locator("svg.account-qr").is_visible()
    _check(page, f"two-factor-setup-{size}", tmp_path)
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("input[type=submit]")
    page.locator("text=Two-factor sign-in is on").wait_for()
    _check(page, f"two-factor-on-{size}", tmp_path)


@pytest.mark.parametrize("size", SIZES)
def test_the_invite_form_keeps_role_and_artist_together(open_page, live_server, size, tmp_path):
    page = open_page(size)
    _sign_in(page, live_server, "owner@northwind.test", "demo-owner")
    page.wait_for_url(lambda url: "/overview" in url)
    page.goto(f"{live_server}/label-users/add")
    assert page.locator("#artist_id").is_disabled()
    page.select_option("#role", "Artist")
    assert page.locator("#artist_id").is_enabled()
    assert "__None" not in page.content()
    _check(page, f"invite-form-{size}", tmp_path)
