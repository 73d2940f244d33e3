"""Spotify's development mode, through HTTP and the sandbox: an app that connects at most five
fans. Staff are warned from the first fan on; the sixth fan is offered a reminder instead of a
sign-in that would fail on release day; a sign-in already under way when the limit fills
saves nothing and says why; the fans already connected keep saving; extended quota lifts it."""
import uuid

from sqlalchemy import select

from app.extensions import db
from app.models import Authorization, PlatformCredential, PreSave
from app.tenants.context import Scope, scoped
from tests.fan_journey import local, sandbox_decision
from tests.own_label import begin, finish, new_release
from tests.platform_sandbox import config

ADMIN = "admin@presave.test"
SANDBOX_APP, SECRET = "presave-sandbox-spotify", "sandbox-secret"


def store_credential(admin, label_id, quota_mode):
    response = admin.post("/credentials/add", data={
        "label": str(label_id), "platform": "spotify", "client_id": SANDBOX_APP,
        "client_secret": SECRET, "extra_secret": "", "quota_mode": quota_mode})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def credential_id(app, label_id):
    with app.app_context(), scoped(Scope.label(label_id)):
        return db.session.scalars(select(PlatformCredential.id).where(
            PlatformCredential.label_id == label_id)).one()


def spotify_button(html):
    start = html.index('value="spotify"')
    return html[html.rindex("<button", 0, start):html.index("</button>", start)]


def warning_titles(staff_api, release_id):
    client, headers = staff_api
    body = client.get(f"/api/v1/releases/{release_id}/deliveries", headers=headers).get_json()
    return [w["title"] for w in body["warnings"] if w["kind"] == "user_limit"]


def grants(app, label_id):
    with app.app_context(), scoped(Scope.label(label_id)):
        return db.session.scalars(select(Authorization).where(
            Authorization.platform == "spotify")).all()


def test_the_sixth_fan_is_offered_a_reminder_and_staff_are_warned_before(app, login, api, own_label):
    label_id, artist_slug = own_label
    admin = login(ADMIN)
    store_credential(admin, label_id, "development")
    release_id, page = new_release(app, artist_slug)
    staff_api = api(ADMIN)

    for count in range(4):
        finish(*begin(app, page))
    assert warning_titles(staff_api, release_id) == ["Spotify connects only 5 fans: 4 so far"]
    shown = admin.get(f"/releases/show/{release_id}").get_data(as_text=True)
    assert "Spotify connects only 5 fans: 4 so far" in shown and "extended quota" in shown

    late_fan, late_authorize = begin(app, page)  # signs in before the fifth, finishes after
    fifth = finish(*begin(app, page))
    assert any("Pre-Save Successful!" in said for said in fifth)
    assert warning_titles(staff_api, release_id) == ["Spotify is full: 5 of 5 fans connected"]

    said = finish(late_fan, late_authorize)
    assert any("connect only 5 listeners" in s and "Nothing was saved on Spotify" in s
               for s in said)
    assert len(grants(app, label_id)) == 5

    newcomer = app.test_client()
    button = spotify_button(newcomer.get(page).get_data(as_text=True))
    assert "mode-remind" in button and "Remind me" in button and "Sign-ins are full" in button
    email = f"sixth-{uuid.uuid4().hex[:6]}@example.com"
    step = newcomer.post(page + "/presave", data={"platform": "spotify"})
    assert step.status_code == 200
    assert "connect only 5 listeners" in step.get_data(as_text=True)
    kept = newcomer.post(page + "/presave", data={"platform": "spotify", "step": "details",
                                                  "email": email, "name": "", "phone": ""})
    assert kept.status_code == 302 and local(kept.headers["Location"]) == page
    with app.app_context(), scoped(Scope.label(label_id)):
        row = db.session.scalars(select(PreSave).join(PreSave.fan).where(
            PreSave.release_id == release_id)).all()
        reminders = [p for p in row if p.fan.email == email]
        assert [(p.action, p.authorization_id) for p in reminders] == [("remind", None)]
    assert len(grants(app, label_id)) == 5  # nobody was sent to a sign-in that would fail


def test_fans_already_connected_keep_saving_and_extended_quota_lifts_the_limit(
        app, login, own_label):
    label_id, artist_slug = own_label
    admin = login(ADMIN)
    store_credential(admin, label_id, "development")
    _, first_page = new_release(app, artist_slug)
    browsers = [begin(app, first_page) for _ in range(5)]
    for fan, authorize in browsers:
        finish(fan, authorize)
    release_id, second_page = new_release(app, artist_slug, "The Next One")

    connected = browsers[0][0]  # one of the five, back for the next release: one tap
    again = connected.post(second_page + "/presave", data={"platform": "spotify"})
    assert again.status_code == 302 and local(again.headers["Location"]) == second_page
    with app.app_context(), scoped(Scope.label(label_id)):
        saved = db.session.scalars(select(PreSave).where(PreSave.release_id == release_id)).one()
        assert saved.action == "save" and saved.authorization_id is not None

    pk = credential_id(app, label_id)
    tested = admin.post(f"/credentials/test/{pk}").get_data(as_text=True)
    assert "Spotify accepted these credentials" in tested
    assert "at most 5 fans" in tested and "5 have connected so far" in tested

    edit = admin.post(f"/credentials/edit/{pk}", data={
        "label": str(label_id), "platform": "spotify", "client_id": SANDBOX_APP, "client_secret": "", "extra_secret": "",
        "quota_mode": "extended"})
    assert edit.status_code == 302
    assert "extended: no limit" in admin.get(f"/credentials/show/{pk}").get_data(as_text=True)
    button = spotify_button(app.test_client().get(second_page).get_data(as_text=True))
    assert "mode-direct" in button
    finish(*begin(app, second_page))
    assert len(grants(app, label_id)) == 6


def test_the_instance_app_is_in_development_mode_until_the_operator_says_otherwise(app):
    from app.platforms.spotify import Spotify

    with config(app, SPOTIFY_CLIENT_ID="instance-app", SPOTIFY_CLIENT_SECRET="s"):
        assert Spotify.instance_credentials(app.config).user_limit == 5
        with config(app, SPOTIFY_QUOTA_MODE="extended"):
            assert Spotify.instance_credentials(app.config).user_limit is None
    assert Spotify.sandbox_credentials(app.config).user_limit is None


def test_an_account_spotify_has_not_allow_listed_is_told_why_and_nothing_is_kept(
        app, login, own_label):
    label_id, artist_slug = own_label
    store_credential(login(ADMIN), label_id, "development")
    _, page = new_release(app, artist_slug)
    admin = app.test_client()
    allowed = admin.post("/sandbox/_admin/spotify/allow_list",
                         json={"client_id": SANDBOX_APP, "users": ["listed-fan"]})
    assert allowed.status_code == 200
    try:
        said = finish(*begin(app, page))  # a new sandbox account, not on the list
        assert any("has not approved your account yet" in s and "Nothing was saved" in s
                   for s in said)
        assert grants(app, label_id) == []
        fan, authorize = begin(app, page)
        done = fan.get(sandbox_decision(fan, authorize, user="listed-fan"))
        assert done.status_code == 302
        assert len(grants(app, label_id)) == 1
    finally:
        admin.post("/sandbox/_admin/spotify/allow_list",
                   json={"client_id": SANDBOX_APP, "users": None})
    assert admin.post("/sandbox/_admin/spotify/allow_list",
                      json={"client_id": SANDBOX_APP, "users": "everyone"}).status_code == 400
