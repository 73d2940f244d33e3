"""People's accounts over HTTP, with a real SMTP server: invitations (invite, read the email,
open the link, set a password, sign in; resend, revoke, expired and reused links), password
reset, the lock after repeated failures and two-factor sign-in with codes from pyotp."""
import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from app.crypto import keyring
from app.extensions import db
from app.localtime import now_utc
from app.models import AccountToken, PresaveUser
from app.tenants.context import Scope, scoped
from tests.invitations import (MAIL_DOMAIN, OWNER, PASSWORD, artist_id, invite_form, label_id,
                               link_in, path_of, set_password, signs_in, user_row)


# -- invitations -------------------------------------------------------------------------------

def test_an_invitation_goes_from_email_to_first_sign_in(app, client, invited):
    email, link, _, inbox = invited("Artist", "aurora-vale")
    message = inbox.to(email)[-1]
    assert "Northwind Records" in message["Subject"]
    assert "72 hours" in message.get_content()
    user = user_row(app, email)
    assert user.password is None and user.artist_id == artist_id(app, "aurora-vale")
    assert not signs_in(app, email, "")  # no password yet: nothing lets them in
    page = client.get(path_of(link))
    assert page.status_code == 200
    assert email in page.get_data(as_text=True)
    assert set_password(client, link).status_code == 302
    assert signs_in(app, email)
    with app.app_context(), scoped(Scope.platform()):
        stored = db.session.scalars(select(AccountToken.token_hash)).all()
    assert link.rsplit("/", 1)[1] not in stored  # only the hash is kept


def test_a_used_link_is_refused_the_second_time(app, client, invited):
    email, link, _, _ = invited()
    assert set_password(client, link).status_code == 302
    again = set_password(app.test_client(), link, "another-long-pass")
    assert again.status_code == 410
    assert "already used" in again.get_data(as_text=True)
    assert signs_in(app, email) and not signs_in(app, email, "another-long-pass")


def test_an_expired_link_is_refused_with_a_clear_page(app, client, invited):
    email, link, _, _ = invited()
    with app.app_context(), scoped(Scope.platform()):
        user = db.session.scalars(select(PresaveUser).where(PresaveUser.email == email)).one()
        user.invitation.expires_at = now_utc() - timedelta(minutes=1)
        db.session.commit()
    page = client.get(path_of(link))
    assert page.status_code == 410
    assert "expired" in page.get_data(as_text=True)
    assert set_password(client, link).status_code == 410
    assert user_row(app, email).password is None


def test_an_unknown_link_is_a_404(client):
    assert client.get("/account/invitation/not-a-token").status_code == 404
    assert client.post("/account/reset/not-a-token", data={}).status_code == 404


def test_a_weak_or_mistyped_password_is_a_422(app, client, invited):
    email, link, _, _ = invited()
    assert set_password(client, link, "short").status_code == 422
    assert set_password(client, link, PASSWORD, "different-pass-x").status_code == 422
    assert user_row(app, email).password is None
    assert set_password(client, link).status_code == 302  # the link still works


def test_resend_voids_the_old_link_and_revoke_voids_the_new(app, client, invited):
    email, first, owner, inbox = invited()
    pk = user_row(app, email).id
    assert owner.post(f"/label-users/resend/{pk}").status_code == 302
    second = link_in(inbox.to(email)[-1])
    assert second != first
    assert client.get(path_of(first)).status_code == 410
    assert "Invited" in owner.get(f"/label-users/show/{pk}").get_data(as_text=True)
    assert owner.post(f"/label-users/revoke/{pk}").status_code == 302
    assert client.get(path_of(second)).status_code == 410
    assert "Invitation revoked" in owner.get(f"/label-users/show/{pk}").get_data(as_text=True)


def test_a_label_admin_cannot_resend_or_revoke_another_labels_user(app, login):
    harbor = user_row(app, "staff@harbor.test")
    owner = login(OWNER)
    assert owner.post(f"/label-users/resend/{harbor.id}").status_code == 404
    assert owner.post(f"/label-users/revoke/{harbor.id}").status_code == 404


def test_staff_may_not_invite(app, login, people):
    people.append("nope@northwind.test")
    response = login("staff@northwind.test").post(
        "/label-users/add", data=invite_form(app, "nope@northwind.test"))
    assert response.status_code in (302, 403) and user_row(app, "nope@northwind.test") is None


def test_without_email_set_up_the_invitation_waits_for_a_resend(app, login, people, unique):
    email = f"{unique('waiting')}@{MAIL_DOMAIN}"
    people.append(email)
    owner = login(OWNER)
    response = owner.post("/label-users/add", data=invite_form(app, email),
                          follow_redirects=True)
    assert "email was not sent" in response.get_data(as_text=True)
    assert user_row(app, email).password is None


# -- the role and the artist together -------------------------------------------------------------

@pytest.mark.parametrize("role, artist, label, why", [
    ("Artist", None, "northwind", "needs the artist"),
    ("Label Staff", "aurora-vale", "northwind", "Only Artist users"),
    ("Artist", "marlow-shore", "northwind", "Not a valid choice"),   # another label's artist
    ("Label Staff", None, "harbor-lights", "Not a valid choice"),    # another label
    ("Admin", None, None, "Not a valid choice"),                     # not the label admin's to give
])
def test_role_and_artist_must_agree(app, login, people, unique, role, artist, label, why):
    email = f"{unique('bad')}@{MAIL_DOMAIN}"
    people.append(email)
    response = login(OWNER).post("/label-users/add",
                                 data=invite_form(app, email, role, artist, label))
    assert response.status_code == 422
    assert why in response.get_data(as_text=True)
    assert user_row(app, email) is None


def test_the_pickers_read_as_words(login):
    html = login(OWNER).get("/label-users/add").get_data(as_text=True)
    assert "__None" not in html
    assert "No artist (staff and admins)" in html
    assert 'value="Label Admin"' in html and 'value="Admin"' not in html
    assert "Harbor Lights" not in html and "Marlow Shore" not in html


def test_an_email_already_in_use_is_refused(app, invited):
    email, _, owner, _ = invited()
    response = owner.post("/label-users/add", data=invite_form(app, email.upper()))
    assert response.status_code == 422
    assert "already has an account" in response.get_data(as_text=True)


def test_the_platform_admin_invites_into_any_label(app, login, smtp_server, people, unique):
    inbox = smtp_server()
    email = f"{unique('harbor')}@{MAIL_DOMAIN}"
    people.append(email)
    response = login("admin@presave.test").post(
        "/label-users/add", data=invite_form(app, email, "Artist", "marlow-shore", "harbor-lights"))
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    assert "Harbor Lights Music" in inbox.to(email)[-1]["Subject"]
    assert user_row(app, email).label_id == label_id(app, "harbor-lights")


# -- password reset --------------------------------------------------------------------------------

def card(response):
    """The page's own words (its frame carries a fresh nonce on every answer)."""
    return re.search(r'<main class="account-card">.*?</main>', response.get_data(as_text=True),
                     re.S).group(0)


def test_password_reset_end_to_end_answers_the_same_for_unknown_emails(app, client, invited,
                                                                       smtp_server):
    email, link, _, inbox = invited()
    set_password(client, link)
    known = client.post("/account/forgot", data={"email": email})
    unknown = client.post("/account/forgot", data={"email": "nobody-here@northwind.test"})
    assert known.status_code == unknown.status_code == 200
    assert card(known).replace(email, "X") == card(unknown).replace(
        "nobody-here@northwind.test", "X")
    assert inbox.to("nobody-here@northwind.test") == []
    reset = link_in(inbox.to(email)[-1])
    assert "/account/reset/" in reset
    assert set_password(client, reset, "a-brand-new-pass").status_code == 302
    assert signs_in(app, email, "a-brand-new-pass") and not signs_in(app, email)
    assert set_password(client, reset, "yet-another-pass").status_code == 410


def test_forgot_refuses_what_is_not_an_email(client):
    response = client.post("/account/forgot", data={"email": "not an email"})
    assert response.status_code == 422
    assert "look like an email" in response.get_data(as_text=True)


def test_the_login_page_says_email_and_offers_a_reset(client):
    html = client.get("/login/").get_data(as_text=True)
    assert ">Email<" in html and "Forgot your password?" in html


# -- lockout ---------------------------------------------------------------------------------------

def test_repeated_failures_lock_the_account_and_success_resets_the_count(app, client, invited):
    email, link, _, _ = invited()
    set_password(client, link)
    limit = app.config["LOCKOUT_FAILURES"]
    for _ in range(limit - 1):
        assert not signs_in(app, email, "wrong-password")
    assert signs_in(app, email)  # a success before the limit starts the count again
    for _ in range(limit - 1):
        signs_in(app, email, "wrong-password")
    assert user_row(app, email).locked_until is None
    signs_in(app, email, "wrong-password")
    assert user_row(app, email).locked_until is not None
    assert not signs_in(app, email)  # the right password does not open it either
    page = client.post("/login/", data={"username": email, "password": PASSWORD},
                       follow_redirects=True)
    assert "locked for" in page.get_data(as_text=True)
    with app.app_context(), scoped(Scope.platform()):
        user = db.session.scalars(select(PresaveUser).where(PresaveUser.email == email)).one()
        user.locked_until = now_utc() - timedelta(seconds=1)
        db.session.commit()
    assert signs_in(app, email)


# -- two-factor sign-in ----------------------------------------------------------------------------

def secret_on_page(html):
    return re.search(r'id="totp-secret">([A-Z2-7]+)<', html).group(1)


def enrol(app, client):
    client.post("/account/two-factor/start")
    html = client.get("/account/two-factor/").get_data(as_text=True)
    secret = secret_on_page(html)
    assert "otpauth://totp/" in html and "<svg" in html
    return secret


def test_two_factor_enrolment_and_sign_in_with_a_code(app, client, invited, login):
    email, link, owner, _ = invited()
    set_password(client, link)
    me = login(email, PASSWORD)
    secret = enrol(app, me)
    assert me.post("/account/two-factor/confirm", data={"code": "000000"}).status_code == 422
    assert me.post("/account/two-factor/confirm",
                   data={"code": pyotp.TOTP(secret).now()}).status_code == 302
    user = user_row(app, email)
    assert user.two_factor_on and secret not in (user.totp_secret_sealed or "")
    with app.app_context():
        assert user.totp_secret(keyring()) == secret
    users = owner.get("/label-users/list/").get_data(as_text=True)
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{re.escape(email)}(?:(?!</tr>).)*</tr>", users, re.S)
    assert re.search(r">\s*On\s*<", row.group(0))  # the label admin sees who has it on

    fresh = app.test_client()
    step = fresh.post("/login/", data={"username": email, "password": PASSWORD})
    assert step.headers["Location"].endswith("/login/code")
    assert fresh.get("/overview/").status_code == 302  # not signed in yet
    assert fresh.post("/login/code", data={"code": "123456"}).status_code == 422
    # The confirmation used this time step's code: sign in with the next one.
    totp = pyotp.TOTP(secret)
    code = totp.at(now_utc() + timedelta(seconds=30))
    assert fresh.post("/login/code", data={"code": code}).status_code == 302
    assert fresh.get("/overview/").status_code == 200
    again = app.test_client()
    again.post("/login/", data={"username": email, "password": PASSWORD})
    assert again.post("/login/code", data={"code": code}).status_code == 422  # used once


def test_two_factor_on_the_api_needs_the_code(app, client, invited, login):
    email, link, _, _ = invited()
    set_password(client, link)
    me = login(email, PASSWORD)
    secret = enrol(app, me)
    me.post("/account/two-factor/confirm", data={"code": pyotp.TOTP(secret).now()})
    body = {"username": email, "password": PASSWORD, "provider": "db"}
    assert client.post("/api/v1/security/login", json=body).status_code == 401
    code = pyotp.TOTP(secret).at(now_utc() + timedelta(seconds=30))
    answer = client.post("/api/v1/security/login", json=body | {"code": code})
    assert answer.status_code == 200 and answer.get_json()["access_token"]


def test_the_code_step_needs_the_password_first(client):
    response = client.post("/login/code", data={"code": "123456"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_platform_admin_invites_another_admin_into_no_label(app, login, smtp_server, people,
                                                                unique):
    inbox = smtp_server()
    email = f"{unique('operator')}@{MAIL_DOMAIN}"
    people.append(email)
    admin = login("admin@presave.test")
    assert admin.post("/label-users/add", data=invite_form(app, email, "Admin", label=None)) \
        .status_code == 302
    user = user_row(app, email)
    assert user.label_id is None and user.password is None
    assert "Presave" in inbox.to(email)[-1]["Subject"]
    assert admin.post("/label-users/add", data=invite_form(
        app, f"x{email}", "Admin")).status_code == 422  # an Admin belongs to no label


def test_the_operators_user_list_sends_new_people_to_the_invitation(login):
    response = login("admin@presave.test").get("/users/add")
    assert response.status_code == 302 and response.headers["Location"].endswith("/label-users/add")


def test_two_factor_is_turned_off_only_with_the_password_and_a_code(app, client, invited, login):
    email, link, _, _ = invited()
    set_password(client, link)
    me = login(email, PASSWORD)
    secret = enrol(app, me)
    me.post("/account/two-factor/confirm", data={"code": pyotp.TOTP(secret).now()})
    code = pyotp.TOTP(secret).at(now_utc() + timedelta(seconds=30))
    refused = me.post("/account/two-factor/disable", data={"password": "wrong", "code": code})
    assert refused.status_code == 422 and user_row(app, email).two_factor_on
    assert me.post("/account/two-factor/disable",
                   data={"password": PASSWORD, "code": code}).status_code == 302
    user = user_row(app, email)
    assert not user.two_factor_on and user.totp_secret_sealed is None
    assert signs_in(app, email)  # the password alone again
