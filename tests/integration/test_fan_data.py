"""/s/<artist>/me: "Download my data" and "Delete everything" through HTTP, confirmed by an
emailed link (a real SMTP server) or, for a fan without email, by the browser's fan cookie."""
import json
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import String, Text, func, or_, select

from app.crypto import keyring
from app.extensions import db
from app.models.base import Model
from app.models import Authorization, Consent, Event, Fan, FanSource, PreSave, Release
from app.tenants.context import Scope, scoped
from tests.fan_journey import local, page, sandbox_decision

ME = "/s/aurora-vale/me"
STAFF = "staff@northwind.test"


def presave(client, slug, platform="spotify", artist="aurora-vale", **details):
    going = client.post(page(slug, artist) + "/presave",
                        data={"platform": platform, "email": "", "name": "", "phone": "",
                              **details})
    assert going.status_code == 302, going.status_code
    assert client.get(sandbox_decision(client, going.headers["Location"])).status_code == 302


def fan_row(app, **where):
    with app.app_context(), scoped(Scope.platform()):
        stmt = select(Fan)
        for column, value in where.items():
            stmt = stmt.where(getattr(Fan, column) == value)
        fan = db.session.scalars(stmt).one()
        grants = db.session.scalars(select(Authorization).where(
            Authorization.fan_id == fan.id)).all()
        ring = keyring()
        return {"id": fan.id, "name": fan.name, "email": fan.email, "phone": fan.phone,
                "erased_at": fan.erased_at,
                "tokens": [t for g in grants for t in (
                    g.access_token_sealed, g.refresh_token_sealed, g.access_token(ring),
                    g.refresh_token(ring) if g.refresh_token_sealed else None) if t],
                "grants": {g.platform: g.access_token(ring) for g in grants}}


def csrf(client, path=ME):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]*)"', page).group(1)


def link_in(message):
    body = message.get_content()
    return local(re.search(r"(https?://\S+/me/confirm/\S+)", body).group(1))


def everything_text(app):
    """Every value of every text column of every table, as one list."""
    found = []
    with app.app_context(), scoped(Scope.platform()):
        for table in Model.metadata.sorted_tables:
            columns = [c for c in table.c if isinstance(c.type, (String, Text))]
            if columns:
                for row in db.session.execute(select(*columns)):
                    found += [value for value in row if value]
    return found


def label_counts(app, release_slugs):
    with app.app_context(), scoped(Scope.platform()):
        ids = db.session.scalars(select(Release.id).where(Release.slug.in_(release_slugs))).all()
        return {"presaves": db.session.scalar(select(func.count()).select_from(PreSave).where(
                    PreSave.release_id.in_(ids))),
                "events": sorted(db.session.execute(select(Event.kind, func.count()).where(
                    Event.release_id.in_(ids)).group_by(Event.kind)).all())}


def test_a_fan_without_email_downloads_exactly_their_own_rows(app, client, active_release,
                                                               unique):
    mine, other_artist, other_label = active_release(), active_release("juniper-kites"), \
        active_release("marlow-shore")
    presave(client, mine, name="No Mail")  # no email: the browser's cookie confirms
    for who, slug, artist in (("jk", other_artist, "juniper-kites"),
                              ("ms", other_label, "marlow-shore")):
        presave(app.test_client(), slug, artist=artist, email=f"{unique(who)}@example.com",
                name=f"Other {who}")
    response = client.post(f"{ME}/export", data={"csrf_token": csrf(client)})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["artist"] == "Aurora Vale" and data["you"]["name"] == "No Mail"
    assert data["controller"]["name"] == "Northwind Records"
    assert [(p["release"], p["platform"], p["state"]) for p in data["presaves"]] == [
        ("Flow Song", "Spotify", "pending")]
    assert [p["platform"] for p in data["platforms"]] == ["Spotify"]
    text = json.dumps(data)
    assert "Other jk" not in text and "Other ms" not in text and "example.com" not in text
    assert not any(t in text for t in fan_row(app, name="No Mail")["tokens"])


def test_a_fan_with_email_gets_a_link_and_the_link_is_the_download(app, client, smtp_server,
                                                                    active_release, unique):
    inbox = smtp_server()
    email = f"{unique('dl')}@example.com"
    presave(client, active_release(), email=email, name="Ada Mail", consent_email_marketing="1")
    asked = client.post(f"{ME}/export", data={"csrf_token": csrf(client)})
    assert asked.status_code == 302 and local(asked.headers["Location"]) == ME
    shown = client.get(ME).get_data(as_text=True)
    assert f"We sent a link to {email[0]}••••••@example.com" in shown, "masked, not in full"
    (message,) = inbox.to(email)
    assert message["Subject"] == "Aurora Vale: confirm your request"
    download = app.test_client().get(link_in(message))  # any browser: the link is the proof
    data = download.get_json(force=True)
    assert download.status_code == 200 and data["you"]["email"] == email
    assert [c["wording"] for c in data["consents"]] and data["consents"][0]["given_at"]
    forged = link_in(message)[:-3] + "xyz"
    assert app.test_client().get(forged).status_code == 404


def test_erasure_by_email_link_leaves_no_trace_and_keeps_the_counts(app, client, smtp_server,
                                                                     active_release, unique,
                                                                     api):
    inbox = smtp_server()
    slug = active_release()
    email, phone = f"{unique('gone')}@example.com", "+447911123456"
    presave(client, slug, email=email, name="Erin Erased", phone=phone,
            consent_email_marketing="1")
    presave(client, slug, platform="youtube_music")
    before = fan_row(app, email=email)
    youtube_token = before["grants"]["youtube_music"]
    counts = label_counts(app, [slug])
    assert client.post(f"{ME}/erase", data={"csrf_token": csrf(client)}).status_code == 302
    assert not inbox.to(email), "not without ticking that it cannot be undone"
    asked = client.post(f"{ME}/erase", data={"csrf_token": csrf(client), "understood": "1"})
    assert asked.status_code == 302
    link = link_in(inbox.to(email)[0])
    opened = client.get(link)  # a mail scanner opening the link erases nothing
    assert opened.status_code == 200 and "Delete everything held about you?" in opened.text
    assert fan_row(app, email=email)["erased_at"] is None
    token = re.search(r'name="csrf_token" value="([^"]*)"', opened.text).group(1)
    done = client.post(link, data={"csrf_token": token})
    assert done.status_code == 200 and "Everything is erased" in done.text
    assert "YouTube Music access is ended at the platform" in done.text
    assert "Spotify keeps no more tokens of ours" in done.text
    assert "presave_fan_" in done.headers.get("Set-Cookie", "")  # the browser forgets the fan

    stored = everything_text(app)
    for needle in (email, phone, "Erin Erased", *before["tokens"]):
        assert not any(needle in value for value in stored), needle[:12]
    with app.app_context(), scoped(Scope.platform()):
        fan = db.session.get(Fan, before["id"])
        assert fan.erased_at is not None and fan.city is None
        for model in (Consent, Authorization, FanSource):
            assert not db.session.scalars(select(model).where(model.fan_id == fan.id)).all()
        assert {p.state for p in db.session.scalars(select(PreSave).where(
            PreSave.fan_id == fan.id))} == {"cancelled"}
    assert label_counts(app, [slug]) == counts
    channels = app.test_client().get("/sandbox/youtube_music/api/channels?mine=true&part=id",
                                     headers={"Authorization": f"Bearer {youtube_token}"})
    assert channels.status_code == 401, "the grant is revoked at the (sandbox) platform"
    staff, headers = api(STAFF)
    with app.app_context(), scoped(Scope.platform()):
        release_id = db.session.scalars(select(Release.id).where(Release.slug == slug)).one()
    ledger = staff.get(f"/api/v1/releases/{release_id}/deliveries", headers=headers).get_json()
    assert "Erased at the fan's request" in json.dumps(ledger)
    assert "Welcome back" not in client.get(f"/s/aurora-vale/{slug}").get_data(as_text=True)
    assert client.get(link).status_code == 410


def test_a_fan_without_email_erases_from_the_cookie_and_another_browser_cannot(
        app, client, active_release):
    slug = active_release()
    presave(client, slug, name="Cookie Only")
    fan_id = fan_row(app, name="Cookie Only")["id"]
    stranger = app.test_client()
    token = csrf(stranger, page(slug))  # a form of the release page: this browser's token
    assert stranger.post(f"{ME}/erase", data={"csrf_token": token,
                                              "understood": "1"}).status_code == 403
    assert stranger.post(f"{ME}/export", data={"csrf_token": token}).status_code == 403
    done = client.post(f"{ME}/erase", data={"csrf_token": csrf(client), "understood": "1"})
    assert done.status_code == 200 and "Everything is erased" in done.text
    with app.app_context(), scoped(Scope.platform()):
        assert db.session.get(Fan, fan_id).name is None


def test_without_email_set_up_the_fan_is_told_whom_to_write_to(app, client, active_release,
                                                               unique):
    email = f"{unique('nosmtp')}@example.com"
    presave(client, active_release(), email=email)
    asked = client.post(f"{ME}/erase", data={"csrf_token": csrf(client), "understood": "1"})
    assert asked.status_code == 302
    page = client.get(ME).get_data(as_text=True)
    assert "Email can&#39;t be sent from this site yet" in page
    assert fan_row(app, email=email)["erased_at"] is None
