"""Every field of the forms people post (the fan page, /me, the release wizard, the artist,
credentials, blast and automation forms) under hostile values: never a server error; a
refusal is a 4xx that says why; what is refused stores nothing, and nothing unreadable is
ever stored."""
from urllib.parse import quote

import pytest
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import Artist, Fan, PlatformCredential, Release
from app.tenants.context import Scope, scoped
from tests.fan_journey import page

# name -> bytes as they reach the server, percent-encoded in the form body
HOSTILE = {
    "empty": b"",
    "megabyte": b"x" * 1_000_000,
    "nul": b"a\x00b",
    "lone surrogate": "\ud800".encode("utf-8", "surrogatepass"),
    "invalid utf-8": b"\xff\xfe\xc3",
    "rtl marks": "\u202egnp.exe\u202c".encode(),
    "emoji": "🎵🔥👩🏽‍🎤".encode(),
    "wrong type": b"[1, {\"a\": 2}]",
}
UNREADABLE = {"nul", "lone surrogate", "invalid utf-8"}


def body(fields):
    return "&".join(f"{quote(k)}={quote(v if isinstance(v, bytes) else v.encode())}"
                    for k, values in fields.items()
                    for v in (values if isinstance(values, list) else [values]))


def rows(app, model):
    with app.app_context(), scoped(Scope.platform()):
        return db.session.scalar(select(func.count()).select_from(model))


def stored_text(app, model):
    """Every text value of the model's rows, to look for what must never be stored."""
    with app.app_context(), scoped(Scope.platform()):
        found = db.session.execute(select(model.__table__)).all()
    return " ".join(str(value) for row in found for value in row if isinstance(value, str))


def post(client, path, fields):
    return client.post(path, data=body(fields), content_type="application/x-www-form-urlencoded")


def assert_answered(response, app, model, before):
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if response.status_code >= 400:
        text = response.get_data(as_text=True)
        assert len(text.strip()) > 20, text  # a page or JSON that says why
        assert rows(app, model) == before
    held = stored_text(app, model)
    assert "\x00" not in held and "\ufffd" not in held and "\ud800" not in held


def fan_fields(**changes):
    return {"platform": "spotify", "email": "", "name": "", "phone": "", "website": "",
            "consent_email_marketing": "", **changes}


@pytest.mark.parametrize("value", HOSTILE, ids=list(HOSTILE))
@pytest.mark.parametrize("field", ["platform", "email", "name", "phone", "intent",
                                   "consent_email_marketing", "music_user_token"])
def test_the_fan_pages_form(app, client, active_release, field, value):
    slug = active_release()
    before = rows(app, Fan)
    response = post(client, page(slug) + "/presave", fan_fields(**{field: HOSTILE[value]}))
    assert_answered(response, app, Fan, before)


@pytest.mark.parametrize("value", HOSTILE, ids=list(HOSTILE))
def test_me_actions_with_hostile_path_segments(app, client, value):
    segment = quote(HOSTILE[value][:2000] or b" ", safe="")
    for path in (f"/s/aurora-vale/me/platforms/{segment}/disconnect",
                 f"/s/{segment}/me/consents/1/withdraw", f"/s/{segment}/me",
                 f"/s/{segment}/me/export", f"/s/{segment}/me/erase", f"/s/{segment}/privacy"):
        response = client.post(path) if path.endswith(("disconnect", "withdraw", "export",
                                                       "erase")) else client.get(path)
        assert response.status_code < 500, (path[:80], response.status_code)
    confirm = f"/s/aurora-vale/me/confirm/{segment}"
    for response in (client.get(confirm), client.post(confirm)):
        assert response.status_code in (400, 404), (confirm[:80], response.status_code)


@pytest.mark.parametrize("value", HOSTILE, ids=list(HOSTILE))
@pytest.mark.parametrize("field", ["email", "phone", "consent_presave_opens", "step"])
def test_the_coming_soon_ask(app, client, field, value):
    fields = {"step": "details", "email": "", "phone": "", "consent_presave_opens": "1",
              "website": "", field: HOSTILE[value]}
    before = rows(app, Fan)
    response = post(client, "/s/aurora-vale/coming-soon/notify", fields)
    assert_answered(response, app, Fan, before)


@pytest.fixture
def northwind_privacy_as_found(app):
    """An accepted hostile value would show on every Northwind fan page: put it back."""
    from app.models import Label

    yield
    with app.app_context(), scoped(Scope.platform()):
        label = db.session.scalars(select(Label).where(Label.slug == "northwind")).one()
        label.privacy_controller = label.privacy_contact = None
        label.privacy_url = label.terms_url = None
        db.session.commit()


@pytest.mark.parametrize("value", HOSTILE, ids=list(HOSTILE))
@pytest.mark.parametrize("field", ["privacy_controller", "privacy_contact", "privacy_url",
                                   "terms_url"])
def test_the_privacy_form(app, login, field, value, northwind_privacy_as_found):
    from app.models import Label

    with app.app_context(), scoped(Scope.platform()):
        label_id = db.session.scalar(select(Label.id).where(Label.slug == "northwind"))
    fields = {"privacy_controller": "", "privacy_contact": "", "privacy_url": "",
              "terms_url": "", field: HOSTILE[value]}
    response = post(login("owner@northwind.test"), f"/label-privacy/edit/{label_id}", fields)
    assert_answered(response, app, Label, rows(app, Label))


def wizard(artist, **changes):
    return {"artist_id": str(artist), "title": "Hostile", "slug": "", "isrc": "",
            "upc": "", "presave_opens_local": "2031-02-01T10:00", "release_date": "2031-03-01",
            "release_time": "00:00", "timezone": "Europe/Berlin", "release_mode": "global",
            "platforms": ["spotify"], "action": "draft", **changes}


@pytest.fixture
def juniper(app):
    with app.app_context(), scoped(Scope.platform()):
        return db.session.scalar(select(Artist.id).where(Artist.slug == "juniper-kites"))


@pytest.mark.parametrize("value", HOSTILE, ids=list(HOSTILE))
@pytest.mark.parametrize("field", ["artist_id", "title", "slug", "isrc", "upc", "headline",
                                   "description", "presave_opens_local", "release_date",
                                   "release_time", "timezone", "release_mode", "platforms",
                                   "action"])
def test_the_release_wizard(app, login, juniper, field, value):
    before = rows(app, Release)
    response = post(login("staff@northwind.test"), "/releases/add",
                    wizard(juniper, **{field: HOSTILE[value]}))
    assert_answered(response, app, Release, before)


@pytest.fixture
def artists_left_as_found(app):
    """Artists an accepted hostile value made are deleted: later tests list Northwind's artists."""
    with app.app_context(), scoped(Scope.platform()):
        before = set(db.session.scalars(select(Artist.id)))
    yield
    with app.app_context(), scoped(Scope.platform()):
        for artist in db.session.scalars(select(Artist).where(Artist.id.not_in(before))):
            db.session.delete(artist)
        db.session.commit()


@pytest.mark.parametrize("value", HOSTILE, ids=list(HOSTILE))
@pytest.mark.parametrize("field", ["name", "slug", "timezone", "bio", "primary_color",
                                   "collect_email", "consent_email_text", "spotify_artist_id"])
def test_the_artist_form(app, login, unique, field, value, artists_left_as_found):
    fields = {"name": "Hostile Artist", "slug": unique("hostile"), "timezone": "Europe/Paris",
              "primary_color": "#112233", "accent_color": "#ff8800",
              "background_color": "#ffffff", "text_color": "#000000",
              "collect_name": "optional", "collect_email": "optional", "collect_phone": "off",
              "consent_email_text": "Email me", "consent_sms_text": "Text me",
              field: HOSTILE[value]}
    before = rows(app, Artist)
    response = post(login("staff@northwind.test"), "/artists/add", fields)
    assert_answered(response, app, Artist, before)


@pytest.mark.parametrize("value", HOSTILE, ids=list(HOSTILE))
@pytest.mark.parametrize("field", ["label", "platform", "client_id", "client_secret",
                                   "extra_secret"])
def test_the_credentials_form(app, login, field, value):
    with app.app_context(), scoped(Scope.platform()):
        from app.models import Label

        label_id = db.session.scalar(select(Label.id).where(Label.slug == "northwind"))
    fields = {"label": str(label_id), "platform": "deezer", "client_id": "hostile-client",
              "client_secret": "", "extra_secret": "", field: HOSTILE[value]}
    before = rows(app, PlatformCredential)
    response = post(login("owner@northwind.test"), "/credentials/add", fields)
    assert_answered(response, app, PlatformCredential, before)
    with app.app_context(), scoped(Scope.label(label_id)):  # one stored per platform: clean up
        for row in db.session.scalars(select(PlatformCredential).where(
                PlatformCredential.label_id == label_id, PlatformCredential.platform == "deezer")):
            db.session.delete(row)
        db.session.commit()


def test_raw_bytes_that_are_not_utf8_in_every_field(app, client, login, active_release, unique,
                                                    artists_left_as_found):
    """Bytes no browser would send unescaped: read as what they are, or refused."""
    slug = active_release()
    raw = b"&".join(key.encode() + b"=\xff\xfe\xc3" for key in fan_fields())
    before = rows(app, Fan)
    response = client.post(page(slug) + "/presave", data=raw,
                           content_type="application/x-www-form-urlencoded")
    assert_answered(response, app, Fan, before)
    fields = {"name": "Raw", "slug": unique("raw"), "bio": "x"}
    raw = body(fields).encode() + b"&bio=\xff\xfe&name=\xc3"
    before = rows(app, Artist)
    response = login("staff@northwind.test").post(
        "/artists/add", data=raw, content_type="application/x-www-form-urlencoded")
    assert_answered(response, app, Artist, before)


@pytest.mark.parametrize("value", HOSTILE, ids=list(HOSTILE))
@pytest.mark.parametrize("field", ["first_name", "last_name", "email", "role", "label_id",
                                   "artist_id"])
def test_the_invitation_form(app, login, people, unique, field, value):
    from app.models import PresaveUser
    from tests.invitations import MAIL_DOMAIN, invite_form

    email = f"{unique('hostile')}@{MAIL_DOMAIN}"
    people.append(email)
    fields = invite_form(app, email) | {field: HOSTILE[value]}
    before = rows(app, PresaveUser)
    response = post(login("owner@northwind.test"), "/label-users/add", fields)
    assert_answered(response, app, PresaveUser, before)


@pytest.mark.parametrize("value", HOSTILE, ids=list(HOSTILE))
@pytest.mark.parametrize("path, field", [("/account/forgot", "email"),
                                         ("/account/invitation/x", "password"),
                                         ("/login/", "username"), ("/login/", "password"),
                                         ("/login/code", "code")])
def test_the_signed_out_account_forms(app, client, path, field, value):
    from app.models import PresaveUser

    before = rows(app, PresaveUser)
    response = post(client, path, {"username": "x", "password": "y", "email": "a@b.c",
                                   field: HOSTILE[value]})
    assert_answered(response, app, PresaveUser, before)


@pytest.mark.parametrize("value", HOSTILE, ids=list(HOSTILE))
@pytest.mark.parametrize("field", ["name", "accent_color", "label"])
def test_the_artist_forms_preview(app, login, field, value):
    """The preview stores nothing, whatever it is sent."""
    fields = {"background_color": "#101820", "text_color": "#f5f5f5",
              "primary_color": "#1b2a4a", "accent_color": "#ff0000", "name": "Hostile",
              "label": "1", field: HOSTILE[value]}
    before = rows(app, Release)
    response = post(login("admin@presave.test"), "/artists/preview/", fields)
    assert_answered(response, app, Artist, rows(app, Artist))
    assert rows(app, Release) == before


BLAST_FIELDS = ["name", "artist", "by_email", "by_sms", "subject", "body", "sms_body", "country",
                "city", "platform", "release", "presaved", "joined_from", "joined_to", "when",
                "send_at", "timezone", "action"]


@pytest.mark.parametrize("value", HOSTILE, ids=list(HOSTILE))
@pytest.mark.parametrize("field", BLAST_FIELDS)
def test_the_blast_form(app, login, field, value):
    from app.models import Message

    fields = {"name": "Hostile blast", "artist": "", "by_email": "y", "subject": "Hi",
              "body": "Hello {fan_first_name}", "sms_body": "", "country": "ZZ",
              "city": "Nowhere-at-all", "platform": "", "release": "", "presaved": "yes",
              "joined_from": "", "joined_to": "", "when": "now", "send_at": "",
              "timezone": "UTC", "action": "send", field: HOSTILE[value]}
    before = rows(app, Message)
    response = post(login("staff@northwind.test"), "/blasts/new", fields)
    assert_answered(response, app, Message, before)


@pytest.mark.parametrize("value", HOSTILE, ids=list(HOSTILE))
@pytest.mark.parametrize("field", ["enabled", "delay", "subject", "body", "sms_body"])
def test_the_automation_form(app, login, field, value):
    from app.models import Automation

    with app.app_context(), scoped(Scope.platform()):
        artist_id = db.session.scalar(select(Artist.id).where(Artist.slug == "juniper-kites"))
    fields = {"enabled": "y", "delay": "3", "subject": "Thanks", "body": "Hi {artist_name}",
              "sms_body": "", field: HOSTILE[value]}
    before = rows(app, Automation)
    response = post(login("staff@northwind.test"), f"/automations/{artist_id}/follow_up", fields)
    assert_answered(response, app, Automation, before)
    with app.app_context(), scoped(Scope.platform()):  # the defaults again for other tests
        db.session.execute(delete(Automation))
        db.session.commit()


@pytest.mark.parametrize("path", [
    "/ad-pixels/?label={}", "/email-tools/?label={}", "/webhooks/?label={}",
    "/messages/?page={}", "/label-users/show/{}", "/fans/show/{}", "/analytics/fans.csv?artist={}",
])
@pytest.mark.parametrize("number", ["²", "١٢٣٤٥٦٧٨٩٠١٢", "9" * 40])
def test_digits_that_are_not_numbers_never_break_a_page(login, path, number):
    """"²" is a digit to Python's str.isdigit but no number to int(): every id and page number
    is read as a decimal (and a huge one is out of range)."""
    answer = login("admin@presave.test").get(path.format(quote(number)))
    assert answer.status_code < 500, (path, number, answer.status_code)
