"""Invitations in tests: the invite form, the email's link, accepting it, signing in.

``invited(role, artist)`` invites a new person as Northwind's label admin through the real
SMTP server (tests/smtp_server.py) and answers (email, link, the admin's client, the inbox);
the people it made are deleted afterwards.
"""
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Artist, Label, PresaveUser
from app.tenants.context import Scope, scoped

OWNER = "owner@northwind.test"
PASSWORD = "a-long-enough-pass"
MAIL_DOMAIN = "mail.northwind-records.com"  # invitations need a deliverable-looking address
LINK = re.compile(r"http://\S+/account/(?:invitation|reset)/\S+")


def user_row(app, email):
    with app.app_context(), scoped(Scope.platform()):
        user = db.session.scalars(select(PresaveUser).where(PresaveUser.email == email)).first()
        if user is not None:
            db.session.expunge(user)
        return user


def artist_id(app, slug):
    with app.app_context(), scoped(Scope.platform()):
        return db.session.scalars(select(Artist.id).where(Artist.slug == slug)).one()


def label_id(app, slug):
    with app.app_context(), scoped(Scope.platform()):
        return db.session.scalars(select(Label.id).where(Label.slug == slug)).one()


@pytest.fixture
def people(app):
    """Emails of the accounts a test makes; deleted afterwards."""
    made = []
    yield made
    with app.app_context(), scoped(Scope.platform()):
        for email in made:
            user = db.session.scalars(select(PresaveUser).where(PresaveUser.email == email)).first()
            if user is not None:
                db.session.delete(user)
        db.session.commit()


def invite_form(app, email, role="Label Staff", artist=None, label="northwind"):
    return {"first_name": "Robin", "last_name": "New", "email": email, "role": role,
            "label_id": str(label_id(app, label)) if label else "",
            "artist_id": str(artist_id(app, artist)) if artist else ""}


def link_in(message):
    return LINK.search(message.get_content()).group(0)


def path_of(link):
    return "/" + link.split("/", 3)[3]


@pytest.fixture
def invited(app, login, smtp_server, people, unique):
    """invite(role, artist) -> (email, the link of the invitation email, the owner's client)."""
    inbox = smtp_server()

    def invite(role="Label Staff", artist=None):
        email = f"{unique('invitee')}@{MAIL_DOMAIN}"
        people.append(email)
        owner = login(OWNER)
        response = owner.post("/label-users/add", data=invite_form(app, email, role, artist))
        assert response.status_code == 302, re.findall(r'help-block">\s*([^<]+?)\s*<',
                                                       response.get_data(as_text=True))
        messages = inbox.to(email)
        assert len(messages) == 1
        return email, link_in(messages[-1]), owner, inbox
    return invite


def set_password(client, link, password=PASSWORD, again=None):
    return client.post(path_of(link), data={"password": password,
                                            "conf_password": again or password})


def signs_in(app, email, password=PASSWORD):
    response = app.test_client().post("/login/", data={"username": email, "password": password})
    return response.status_code == 302 and "/login" not in response.headers["Location"]
