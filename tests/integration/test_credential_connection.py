"""Platform credentials, through HTTP: what to register in the developer console (the redirect
URI the fan's sign-in really sends, the scopes, the console) and "Test connection", answered
by the built-in sandbox as the platform would answer."""
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Label, PlatformCredential
from app.tenants.context import Scope, scoped
from tests.fan_journey import start
from tests.platform_sandbox import config

OWNER = "owner@northwind.test"
SANDBOX_APP = "presave-sandbox-spotify"  # the sandbox's own Spotify app (Platform.sandbox_credentials)
RIGHT, WRONG = "sandbox-secret", "not-the-secret"


def _label_id(app, slug):
    with app.app_context(), scoped(Scope.platform()):
        return db.session.scalars(select(Label.id).where(Label.slug == slug)).one()


@pytest.fixture
def stored(app, login):
    """stored(platform, client_id, secret="", extra="", label="northwind", email=OWNER) -> the
    new credential's id, added through the form; every one is removed afterwards, so the label
    is back on the sandbox for the other tests."""
    made = []

    def store(platform, client_id, secret="", extra="", label="northwind", email=OWNER):
        label_id = _label_id(app, label)
        response = login(email).post("/credentials/add", data={
            "label": str(label_id), "platform": platform, "client_id": client_id,
            "client_secret": secret, "extra_secret": extra,
            "quota_mode": "extended"})  # Northwind has more fans than a development-mode app
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        with app.app_context(), scoped(Scope.label(label_id)):
            row = db.session.scalars(select(PlatformCredential).where(
                PlatformCredential.platform == platform)).one()
            made.append((label_id, row.id))
            return row.id
    yield store
    for label_id, pk in made:
        with app.app_context(), scoped(Scope.label(label_id)):
            db.session.delete(db.session.get(PlatformCredential, pk))
            db.session.commit()


def _test_connection(client, pk):
    response = client.post(f"/credentials/test/{pk}")
    return response.status_code, response.get_data(as_text=True)


def test_the_show_page_says_what_to_register_in_the_developer_console(
        app, client, login, stored, active_release):
    pk = stored("spotify", SANDBOX_APP, RIGHT)
    authorize = start(client, active_release(), "spotify").headers["Location"]
    sent = parse_qs(urlsplit(authorize).query)["redirect_uri"][0]
    page = login(OWNER).get(f"/credentials/show/{pk}").get_data(as_text=True)
    assert sent.startswith(app.config["PUBLIC_BASE_URL"]) and sent in page
    assert "<code>user-library-modify</code>" in page and "<code>user-follow-modify</code>" in page
    assert 'href="https://developer.spotify.com/dashboard"' in page
    assert "Spotify developer dashboard" in page and "Test connection" in page
    assert RIGHT not in page


def test_add_edit_and_list_pages_carry_the_setup_too(login, stored):
    owner = login(OWNER)
    for url in ("/credentials/add", "/credentials/list/"):
        page = owner.get(url).get_data(as_text=True)
        assert "/s/_auth/tidal/callback" in page and "<code>collection.write</code>" in page
        assert "https://developer.apple.com/account/resources/authkeys/list" in page
        assert "None: Apple Music signs fans in on the fan page" in page
    pk = stored("tidal", "tidal-own-app", "tidal-secret")
    edit = owner.get(f"/credentials/edit/{pk}").get_data(as_text=True)
    assert "/s/_auth/tidal/callback" in edit and "TIDAL developer dashboard" in edit


def test_the_right_secret_is_accepted_and_a_wrong_one_is_refused_in_words(login, stored):
    owner = login(OWNER)
    pk = stored("spotify", SANDBOX_APP, RIGHT)
    status, page = _test_connection(owner, pk)
    assert status == 200 and "Spotify accepted these credentials." in page
    assert 'data-outcome="accepted"' in page
    assert owner.post(f"/credentials/edit/{pk}", data={
        "label": "", "platform": "spotify", "client_id": SANDBOX_APP, "client_secret": WRONG,
        "extra_secret": ""}).status_code == 302
    status, page = _test_connection(owner, pk)
    assert status == 200 and 'data-outcome="refused"' in page
    assert ("Spotify refused the client id or secret (invalid_client): check them in the "
            "Spotify developer dashboard.") in page
    assert WRONG not in page and RIGHT not in page


def test_apple_music_is_tested_with_a_signed_developer_token(app, login, stored):
    owner = login(OWNER)
    pk = stored("apple_music", "PRESAVESBX/SANDBOXKEY",
                extra=app.config["APPLE_SANDBOX_PRIVATE_KEY"])
    status, page = _test_connection(owner, pk)
    assert status == 200 and "Apple Music accepted these credentials." in page


def test_a_platform_without_an_app_only_call_says_it_needs_a_fan(login, stored):
    owner = login(OWNER)
    pk = stored("deezer", "123456", "deezer-secret")
    page = owner.get(f"/credentials/show/{pk}").get_data(as_text=True)
    assert "Deezer cannot be tested without a fan" in page and "Test connection" not in page
    status, page = _test_connection(owner, pk)  # a hand-made POST gets the same words
    assert status == 200 and 'data-outcome="untestable"' in page
    assert "Deezer cannot be tested without a fan" in page


def test_an_unreachable_platform_is_reported_not_blamed_on_the_credentials(app, login, stored):
    owner = login(OWNER)
    pk = stored("spotify", SANDBOX_APP, RIGHT)
    # The sandbox over real HTTP, on a loopback port nothing listens on.
    with config(app, SANDBOX_IN_PROCESS=False, PUBLIC_BASE_URL="http://127.0.0.1:9"):
        status, page = _test_connection(owner, pk)
    assert status == 200 and 'data-outcome="unreachable"' in page
    assert "Spotify could not be reached (a network error)" in page


def test_label_staff_cannot_test_a_connection(login, stored):
    pk = stored("spotify", SANDBOX_APP, RIGHT)
    response = login("staff@northwind.test").post(f"/credentials/test/{pk}")
    assert response.status_code == 403


def test_another_labels_credential_is_invisible(app, login, stored):
    pk = stored("spotify", SANDBOX_APP, RIGHT, label="harbor-lights", email="admin@presave.test")
    owner = login(OWNER)
    assert owner.post(f"/credentials/test/{pk}").status_code == 404
    assert owner.get(f"/credentials/show/{pk}").status_code == 404


def test_test_connection_needs_the_pages_csrf_token(app, login, stored):
    owner = login(OWNER)
    pk = stored("spotify", SANDBOX_APP, RIGHT)
    with config(app, WTF_CSRF_ENABLED=True):
        response = owner.post(f"/credentials/test/{pk}")
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)
