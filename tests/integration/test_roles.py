"""Role limits inside one label: what Label Admin, Label Staff and Artist users may reach."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.releases import rules as release_rules
from app.extensions import db
from app.models import Artist, Fan, Label, PresaveUser, Release
from app.tenants.context import Scope, scoped
from tests.invitations import MAIL_DOMAIN, PASSWORD as INVITED_PASSWORD, invite_form, label_id, \
    set_password

OWNER, STAFF, ARTIST = "owner@northwind.test", "staff@northwind.test", "artist@northwind.test"
PASSWORD = "a-long-pass-123"


def denied(response):
    """403, or FAB's redirect to the login page."""
    return response.status_code == 403 or (
        response.status_code == 302 and "/login" in response.headers.get("Location", ""))


def body(client, url):
    response = client.get(url, follow_redirects=True)
    return response.status_code, response.get_data(as_text=True)


def log_in(app, username, password=PASSWORD):
    """A client and whether the login worked (FAB sends refused logins back to /login)."""
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": password})
    return client, not response.headers.get("Location", "").startswith("/login")


def find(app, model, *where):
    """One row read as the platform (column values only; the session closes)."""
    with app.app_context(), scoped(Scope.platform()):
        return db.session.scalars(select(model).where(*where)).first()


@pytest.fixture
def northwind_rows(app, unique):
    """Aurora Vale's own release and fan, and a release of the label's other artist."""
    names = {key: unique(key) for key in ("own", "other", "fan")}
    with app.app_context(), scoped(Scope.platform()):
        aurora = db.session.scalars(select(Artist).where(Artist.slug == "aurora-vale")).one()
        juniper = db.session.scalars(select(Artist).where(Artist.slug == "juniper-kites")).one()
        rows = [_release(aurora, names["own"]), _release(juniper, names["other"]),
                Fan(artist=aurora, label_id=aurora.label_id, name=names["fan"],
                    email=f"{names['fan']}@fans.test")]
        db.session.add_all(rows)
        db.session.commit()
        ids = {key: row.id for key, row in zip(("own", "other", "fan"), rows)}
        created = [(type(row), row.id) for row in rows]
    yield names, ids
    with app.app_context(), scoped(Scope.platform()):
        for model, pk in created:
            db.session.delete(db.session.get(model, pk))
        db.session.commit()


def _release(artist, title):
    release = Release(artist=artist, label_id=artist.label_id, title=title, slug=title,
                      platforms=["spotify"], status="announced")
    opens = datetime.now() + timedelta(days=3)
    release_rules.schedule(release, opens, opens + timedelta(days=7), "Europe/London",
                           must_be_future=False)
    return release


def artist_id(app, slug):
    return find(app, Artist, Artist.slug == slug).id


def release_of(app, slug):
    return find(app, Release, Release.artist_id == artist_id(app, slug)).id


# -- who may reach the people and security views -----------------------------------------------

SECURITY_VIEWS = ["/users/list/", "/users/add", "/roles/list/", "/roles/add", "/groups/list/",
                  "/permissions/list/", "/viewmenus/list/", "/permissionviews/list/"]


@pytest.mark.parametrize("url", SECURITY_VIEWS)
@pytest.mark.parametrize("email", [OWNER, STAFF, ARTIST])
def test_tenant_roles_never_reach_fab_security_views(login, email, url):
    assert denied(login(email).get(url))


@pytest.mark.parametrize("url", ["/label-users/list/", "/label-users/add", "/label-users/show/1"])
@pytest.mark.parametrize("email", [STAFF, ARTIST])
def test_only_label_admins_manage_label_users(login, email, url):
    assert denied(login(email).get(url))


def test_label_admin_reaches_label_users(login):
    assert login(OWNER).get("/label-users/list/").status_code == 200


# -- artist users --------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/artists/list/", "/fans/list/", "/artists/add",
                                 "/label-users/list/"])
def test_artist_cannot_list_the_roster_or_fans(login, url):
    assert denied(login(ARTIST).get(url))


@pytest.mark.parametrize("url", ["/releases/list/", "/my/"])
def test_artist_sees_only_its_own_releases(login, northwind_rows, url):
    names, _ = northwind_rows
    status, text = body(login(ARTIST), url)
    assert status == 200
    assert names["own"] in text
    assert names["other"] not in text
    assert "Juniper Kites" not in text


def test_artist_cannot_open_another_artists_release(login, northwind_rows):
    _, ids = northwind_rows
    client = login(ARTIST)
    assert client.get(f"/releases/show/{ids['own']}").status_code == 200
    assert client.get(f"/releases/show/{ids['other']}").status_code == 404


@pytest.mark.parametrize("url", ["/", "/my/", "/releases/list/", "/releases/show/{own}",
                                 "/fans/list/", "/fans/show/{fan}"])
def test_artist_sees_no_fan_emails(login, northwind_rows, url):
    names, ids = northwind_rows
    status, text = body(login(ARTIST), url.format(**ids))
    assert f"{names['fan']}@fans.test" not in text
    assert "@fans.test" not in text


def test_artist_api_sees_no_fans_and_no_other_artist(api, northwind_rows):
    _, ids = northwind_rows
    client, headers = api(ARTIST)
    fans = client.get("/api/v1/fans/", headers=headers)
    assert fans.status_code in (401, 403, 404)
    assert "@fans.test" not in fans.get_data(as_text=True)
    releases = client.get("/api/v1/releases/", headers=headers)
    assert {item["artist"]["slug"] for item in releases.get_json()["result"]} == {"aurora-vale"}
    assert client.get(f"/api/v1/releases/{ids['own']}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/releases/{ids['other']}", headers=headers).status_code == 404


# -- label admins manage their label's people ------------------------------------------------------

@pytest.mark.parametrize("role, artist_slug", [("Label Staff", None), ("Artist", "aurora-vale"),
                                               ("Label Admin", None)])
def test_label_admin_invites_a_user_who_sees_only_its_label(app, invited, role, artist_slug):
    email, link, _, _ = invited(role, artist_slug)
    set_password(app.test_client(), link)
    own_artist = artist_id(app, artist_slug) if artist_slug else None
    with app.app_context(), scoped(Scope.platform()):
        user = db.session.scalars(select(PresaveUser).where(PresaveUser.email == email)).one()
        northwind = db.session.scalars(select(Label).where(Label.slug == "northwind")).one()
        assert (user.label_id, user.artist_id, user.role_names) == (
            northwind.id, own_artist, {role})
    client, logged_in = log_in(app, email, INVITED_PASSWORD)
    assert logged_in
    status, text = body(client, "/releases/list/")
    assert status == 200
    assert "Marlow Shore" not in text and "Neon Tide" not in text
    sibling = client.get(f"/releases/show/{release_of(app, 'juniper-kites')}")
    assert sibling.status_code == (404 if role == "Artist" else 200)
    assert client.get(f"/releases/show/{release_of(app, 'marlow-shore')}").status_code == 404


@pytest.mark.parametrize("forged", [
    {"artist_id": "harbor"},                    # another label's artist
    {"role": "Admin"},                          # a role the label admin may not give
    {"label_id": "harbor"},                     # another label
])
def test_label_admin_cannot_forge_artist_label_or_role(app, login, people, unique, forged):
    email = f"{unique('forged')}@{MAIL_DOMAIN}"
    people.append(email)
    form = invite_form(app, email, "Artist", "aurora-vale")
    if forged.get("artist_id"):
        form["artist_id"] = artist_id(app, "marlow-shore")
    if forged.get("label_id"):
        form["label_id"] = label_id(app, "harbor-lights")
    form.update({k: v for k, v in forged.items() if k == "role"})
    response = login(OWNER).post("/label-users/add", data=form)
    assert 400 <= response.status_code < 500
    assert find(app, PresaveUser, PresaveUser.email == email) is None


def test_label_admin_disables_a_user(app, invited):
    email, link, owner, _ = invited()
    set_password(app.test_client(), link)
    assert log_in(app, email, INVITED_PASSWORD)[1]
    pk = find(app, PresaveUser, PresaveUser.email == email).id
    form = invite_form(app, email)  # the unticked "active" checkbox is not sent
    response = owner.post(f"/label-users/edit/{pk}", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    assert find(app, PresaveUser, PresaveUser.email == email).active is False
    assert not log_in(app, email, INVITED_PASSWORD)[1]


def test_label_admin_cannot_edit_users_of_another_label(app, login):
    harbor_staff = find(app, PresaveUser, PresaveUser.email == "staff@harbor.test")
    pk, active = harbor_staff.id, harbor_staff.active
    form = invite_form(app, "hijack@mail.northwind-records.com")
    assert login(OWNER).post(f"/label-users/edit/{pk}", data=form).status_code == 404
    assert find(app, PresaveUser, PresaveUser.id == pk).active == active
    assert log_in(app, "staff@harbor.test", "demo-staff")[1]
