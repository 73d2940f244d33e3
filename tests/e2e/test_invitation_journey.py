"""Invitations and password resets in a real browser, their emails through a real local SMTP
server: a label admin invites, the invitee opens the emailed link, sets a password and signs
in; the same link a second time, and an expired one, say why they no longer work; a forgotten
password is reset from the sign-in page."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.extensions import db
from app.localtime import now_utc
from app.models import AccountToken, PresaveUser
from app.tenants.context import Scope, scoped
from tests.e2e.accessibility import blocking_violations
from tests.e2e.screens import shoot
from tests.invitations import MAIL_DOMAIN, OWNER, PASSWORD, link_in, path_of
from tests.conftest import DEMO_PASSWORDS

LOOK_HERE = "/tmp/presave-screens"


def _sign_in(page, live_server, email, password):
    page.goto(f"{live_server}/login/")
    page.fill("#username", email)
    page.fill("#password", password)
    page.click("input[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def _invite(page, live_server, email):
    page.goto(f"{live_server}/label-users/add")
    page.fill("#first_name", "Robin")
    page.fill("#last_name", "Browser")
    page.fill("#email", email)
    page.select_option("#role", "Label Staff")
    page.locator("form [type=submit]").last.click()
    page.wait_for_url(lambda url: not url.endswith("/label-users/add"))


def _invited(open_page, live_server, inbox, email, size="wide"):
    """The link of the invitation Northwind's label admin sends ``email`` from the browser."""
    admin = open_page(size)
    _sign_in(admin, live_server, OWNER, DEMO_PASSWORDS[OWNER])
    _invite(admin, live_server, email)
    return link_in(inbox.to(email)[-1])


def _set_password(page, live_server, link, password=PASSWORD):
    page.goto(f"{live_server}{path_of(link)}")
    page.fill("#password", password)
    page.fill("#conf_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(lambda url: "/login" in url)


@pytest.mark.parametrize("size", ("wide", "iphone-13"))
def test_invited_by_email_then_the_link_is_spent(open_page, live_server, smtp_server, people,
                                                 unique, size):
    email = f"{unique('journey')}@{MAIL_DOMAIN}"
    people.append(email)
    link = _invited(open_page, live_server, smtp_server(), email, size)

    invitee = open_page(size)
    _set_password(invitee, live_server, link)
    _sign_in(invitee, live_server, email, PASSWORD)
    assert invitee.url.endswith("/overview/")
    again = invitee.goto(f"{live_server}{path_of(link)}")
    assert again.status == 410 and "already" in invitee.locator("body").inner_text()
    shoot(invitee, f"invitation-spent-{size}", LOOK_HERE)
    assert blocking_violations(invitee) == []


def test_an_expired_invitation_says_so(app, open_page, live_server, smtp_server, people, unique):
    email = f"{unique('late')}@{MAIL_DOMAIN}"
    people.append(email)
    link = _invited(open_page, live_server, smtp_server(), email)
    with app.app_context(), scoped(Scope.platform("test")):
        user_id = db.session.scalar(db.select(PresaveUser.id).where(PresaveUser.email == email))
        db.session.execute(update(AccountToken).where(AccountToken.user_id == user_id).values(
            expires_at=now_utc() - timedelta(minutes=1)))
        db.session.commit()
    late = open_page("iphone-13")
    answer = late.goto(f"{live_server}{path_of(link)}")
    assert answer.status == 410 and "expired" in late.locator("body").inner_text()
    assert blocking_violations(late) == []


def test_a_forgotten_password_is_reset_from_the_sign_in_page(open_page, live_server,
                                                             smtp_server, people, unique):
    inbox = smtp_server()
    email = f"{unique('forgot')}@{MAIL_DOMAIN}"
    people.append(email)
    person = open_page("iphone-13")
    _set_password(person, live_server, _invited(open_page, live_server, inbox, email))
    person.goto(f"{live_server}/login/")
    person.get_by_role("link", name="Forgot your password?").click()
    person.fill("#email", email)
    person.locator("form [type=submit]").last.click()
    reset = link_in(inbox.to(email)[-1])
    assert "/account/reset/" in reset
    _set_password(person, live_server, reset, "a-new-and-long-pass")
    _sign_in(person, live_server, email, "a-new-and-long-pass")
    assert person.url.endswith("/overview/")
