"""Signing in through the login form, as a person would."""
from tests.conftest import DEMO_PASSWORDS


def sign_in(page, base, email, password=None):
    page.goto(f"{base}/login/")
    page.fill("#username", email)
    page.fill("#password", password or DEMO_PASSWORDS[email])
    page.click("input[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page
