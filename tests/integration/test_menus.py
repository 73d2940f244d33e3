"""Each role's admin: every menu item it is shown opens; a page it may not open answers in the
admin's own frame with why and the way home; warnings say what to do to those who can, and
whom to ask to those who cannot."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.localtime import now_utc
from app.models import Artist, Release
from app.tenants.context import Scope, scoped
from tests.conftest import DEMO_PASSWORDS

ROLES = sorted(DEMO_PASSWORDS)


def home_links(client):
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    return sorted({href for href in re.findall(r'<a[^>]+href="(/[^"#]*)"', page)
                   if "logout" not in href and not href.startswith("/static")})


@pytest.mark.parametrize("email", ROLES)
def test_every_menu_item_a_role_is_shown_opens(login, email):
    client = login(email)
    links = home_links(client)
    assert links, "a menu"
    refused = []
    for href in links:
        answer = client.get(href)
        if answer.status_code >= 400 or "/login" in answer.headers.get("Location", ""):
            refused.append((href, answer.status_code))
    assert refused == []


def test_an_artist_is_not_shown_the_fans(login):
    assert not [href for href in home_links(login("artist@northwind.test"))
                if href.startswith(("/fans/", "/presaves/", "/consents/"))]


def test_a_page_the_role_may_not_open_says_why_in_the_admins_frame(login):
    answer = login("artist@northwind.test").get("/fans/list/")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 403
    assert "<h1>You can&#39;t open this page</h1>" in text
    assert "Your role (Artist) does not include this page" in text
    assert 'class="navbar' in text and 'href="/"' in text  # the admin's menus, and home


def test_a_missing_page_is_a_404_in_the_admins_frame(login):
    answer = login("staff@northwind.test").get("/releases/show/999999")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 404 and "<h1>This page doesn&#39;t exist</h1>" in text
    assert 'class="navbar' in text


def _tonight(app):
    with app.app_context(), scoped(Scope.platform()):
        return db.session.scalar(select(Release.id).join(Artist).where(
            Artist.slug == "aurora-vale", Release.slug == "tonight"))


@pytest.mark.parametrize("email, expected", [
    ("owner@northwind.test", "Add credentials under Account → Platform credentials before "
                             "release day."),
    ("staff@northwind.test", "Ask your label admin to add them under Account → Platform "
                             "credentials."),
    ("artist@northwind.test", "Ask your label admin to add them under Account → Platform "
                              "credentials."),
])
def test_warnings_speak_to_the_role_reading_them(app, login, api, email, expected):
    release_id = _tonight(app)
    page = login(email).get(f"/releases/show/{release_id}").get_data(as_text=True)
    assert expected in page.replace("&amp;", "&")
    client, headers = api(email)
    body = client.get(f"/api/v1/releases/{release_id}/deliveries", headers=headers).get_json()
    sandbox = [w for w in body["warnings"] if w["kind"] == "sandbox"]
    assert sandbox and sandbox[0]["what_to_do"] == expected


def test_links_given_up_on_read_as_a_task_for_staff_and_a_note_for_the_artist(
        app, login, active_release):
    slug = active_release()
    with app.app_context(), scoped(Scope.platform("test")):
        release = db.session.scalars(select(Release).where(Release.slug == slug)).one()
        now = now_utc()
        release.release_at, release.status = now - timedelta(days=4), "released"
        release.links_checked_at = release.links_gave_up_at = now
        db.session.commit()
        release_id = release.id
    staff = login("staff@northwind.test").get(f"/releases/show/{release_id}").text
    artist = login("artist@northwind.test").get(f"/releases/show/{release_id}").text
    assert "Set them by hand below." in staff and "Set the link by hand" in staff
    assert "Set them by hand" not in artist and "Set the link by hand" not in artist
    assert "Your label's staff can set them by hand." in artist
    assert "Ask your label&#39;s staff: they can do it on this release&#39;s page." in artist


@pytest.mark.parametrize("path", ["/releases/list/", "/artists/list/", "/fans/list/"])
def test_admin_pages_say_their_language_and_carry_no_invalid_role(login, path):
    text = login("staff@northwind.test").get(path).get_data(as_text=True)
    assert '<html lang="en">' in text and "<html>" not in text
    assert 'role="header"' not in text
