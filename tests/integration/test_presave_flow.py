"""The fan journey through HTTP: data wrapper, OAuth round trip on the sandbox, one-click reuse."""
import logging
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import select

from app.extensions import db, redis_connection
from app.models import Authorization, Consent, Fan, PreSave
from app.presaves import oauth_state
from app.tenants.context import Scope, scoped
from tests.fan_journey import counts, flashes, page, sandbox_decision, start


def test_spotify_round_trip_records_fan_consent_grant_and_presave(app, client, active_release,
                                                                  unique, caplog):
    caplog.set_level(logging.DEBUG)
    slug, email = active_release(), f"{unique('fan')}@example.com"
    going = start(client, slug, email=email, consent_email_marketing="1")
    assert going.status_code == 302
    authorize = going.headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert "/sandbox/spotify/authorize" in authorize
    assert query["code_challenge_method"] == ["S256"] and "user-library-modify" in query["scope"][0]
    back = sandbox_decision(client, authorize)
    assert back.startswith("/s/_auth/spotify/callback")
    done = client.get(back)
    assert done.status_code == 302 and done.headers["Location"] == page(slug)
    assert any("Pre-Save Successful!" in m for m in flashes(client))
    with app.app_context(), scoped(Scope.platform()):
        fan = db.session.scalars(select(Fan).where(Fan.email == email)).one()
        consent = db.session.scalars(select(Consent).where(Consent.fan_id == fan.id)).one()
        grant = db.session.scalars(select(Authorization).where(Authorization.fan_id == fan.id)).one()
        presave = db.session.scalars(select(PreSave).where(PreSave.fan_id == fan.id)).one()
        assert consent.purpose == "email_marketing" and consent.wording == fan.artist.consent_email_text
        assert consent.ip_hash and "127.0.0.1" not in consent.ip_hash
        assert grant.platform == "spotify" and grant.platform_user_id and grant.state == "active"
        assert grant.access_token_sealed.startswith("v1.")
        assert (presave.state, presave.action, presave.platform) == ("pending", "save", "spotify")
        assert presave.next_attempt_at == presave.release.release_at
    shown = client.get(page(slug)).get_data(as_text=True)
    assert "You're set" in shown and "added to your Spotify library" in shown
    assert "Pre-Save Successful!" not in shown  # the panel says it, once


def test_second_release_of_the_same_artist_is_one_click(app, client, active_release, unique):
    first, second, email = active_release(), active_release(), f"{unique('fan')}@example.com"
    client.get(sandbox_decision(client, start(client, first, email=email).headers["Location"]))
    again = start(client, second)
    assert again.status_code == 302 and again.headers["Location"] == page(second)
    assert any("Pre-Save Successful!" in m for m in flashes(client))
    with app.app_context(), scoped(Scope.platform()):
        fan_id = db.session.scalars(select(Fan.id).where(Fan.email == email)).one()
    assert counts(app, PreSave, fan_id=fan_id) == 2
    assert counts(app, Authorization, fan_id=fan_id) == 1


def test_presaving_twice_keeps_one_presave_and_says_so(app, client, active_release, unique):
    slug, email = active_release(), f"{unique('fan')}@example.com"
    client.get(sandbox_decision(client, start(client, slug, email=email).headers["Location"]))
    start(client, slug)
    assert any("already pre-saved" in m for m in flashes(client))
    with app.app_context(), scoped(Scope.platform()):
        fan_id = db.session.scalars(select(Fan.id).where(Fan.email == email)).one()
    assert counts(app, PreSave, fan_id=fan_id) == 1


def test_cancel_brings_the_fan_back_with_a_message_and_stores_nothing(app, client,
                                                                      active_release, unique):
    slug, email = active_release(), f"{unique('fan')}@example.com"
    back = sandbox_decision(client, start(client, slug, email=email).headers["Location"], "cancel")
    done = client.get(back)
    assert done.headers["Location"] == page(slug)
    assert any("You cancelled the Spotify sign-in" in m for m in flashes(client))
    assert counts(app, Fan, email=email) == 0


@pytest.mark.parametrize("platform", ["tidal", "deezer", "youtube_music", "amazon_music"])
def test_every_oauth_platform_completes_on_the_sandbox(app, client, active_release, unique,
                                                       platform):
    slug, email = active_release(), f"{unique('fan')}@example.com"
    going = start(client, slug, platform=platform, email=email)
    assert f"/sandbox/{platform}/authorize" in going.headers["Location"]
    client.get(sandbox_decision(client, going.headers["Location"]))
    with app.app_context(), scoped(Scope.platform()):
        fan = db.session.scalars(select(Fan).where(Fan.email == email)).one()
        presave = db.session.scalars(select(PreSave).where(PreSave.fan_id == fan.id)).one()
        assert (presave.platform, presave.action) == (platform, "save")
        assert presave.authorization.platform_user_id


def test_a_replayed_or_foreign_state_is_refused_and_the_fans_own_sign_in_survives_it(
        app, client, active_release, unique):
    slug = active_release()
    back = sandbox_decision(client, start(client, slug, email=f"{unique('f')}@example.com")
                            .headers["Location"])
    stranger = app.test_client()
    stranger.get(page(slug))  # a visitor of its own
    assert stranger.get(back).status_code == 400  # not this visitor's state
    on_deezer = back.replace("/_auth/spotify/", "/_auth/deezer/")
    assert client.get(on_deezer).status_code == 400  # not this platform's state
    done = client.get(back)  # neither of those burnt it
    assert done.status_code == 302 and done.headers["Location"] == page(slug)
    assert any("Pre-Save Successful!" in m for m in flashes(client))
    assert client.get(back).status_code == 400  # single use
    assert client.get("/s/_auth/spotify/callback?state=made-up&code=x").status_code == 400


def test_an_unfinished_sign_in_keeps_no_personal_data_readable_in_redis(app, client,
                                                                         active_release, unique):
    email = f"{unique('sealed')}@example.com"
    start(client, active_release(), email=email, name="Ada Sealed")
    with app.app_context():
        held = [redis_connection().get(key) for key in
                redis_connection().scan_iter(oauth_state.PREFIX + "*")]
    assert held and not any(email.encode() in value or b"Ada Sealed" in value for value in held)


def test_invalid_email_is_refused_inline_with_the_input_kept(app, client, active_release):
    slug = active_release()
    answer = start(client, slug, email="not-an-email", name="Ada <b>Lovelace</b>")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "doesn&#39;t look right" in body or "doesn't look right" in body
    assert 'value="not-an-email"' in body
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in body
    assert counts(app, Fan, email="not-an-email") == 0


def test_honeypot_submissions_are_dropped_quietly(app, client, active_release, unique):
    slug, email = active_release(), f"{unique('bot')}@example.com"
    answer = start(client, slug, email=email, website="http://spam.example")
    assert answer.status_code == 302 and answer.headers["Location"] == page(slug)
    assert counts(app, Fan, email=email) == 0


def test_unknown_platform_and_closed_release_are_4xx(client, active_release):
    slug = active_release()
    assert start(client, slug, platform="napster").status_code == 400
    closed = client.post("/s/aurora-vale/out-now/presave", data={"platform": "spotify"})
    assert closed.status_code == 302
    assert any("closed" in m for m in flashes(client))


def test_no_token_in_plaintext_in_the_database_or_logs(app, client, active_release, unique,
                                                       caplog):
    caplog.set_level(logging.DEBUG)
    slug, email = active_release(), f"{unique('fan')}@example.com"
    client.get(sandbox_decision(client, start(client, slug, email=email).headers["Location"]))
    with app.app_context(), scoped(Scope.platform()):
        fan_id = db.session.scalars(select(Fan.id).where(Fan.email == email)).one()
        grant = db.session.scalars(select(Authorization).where(
            Authorization.fan_id == fan_id)).one()
        from app.crypto import keyring

        access, refresh = grant.access_token(keyring()), grant.refresh_token(keyring())
        row = db.session.execute(select(Authorization.__table__).where(
            Authorization.id == grant.id)).one()
    stored = " ".join(str(value) for value in row)
    assert access and access not in stored and refresh not in stored
    assert access not in caplog.text and refresh not in caplog.text


def _without_write_scope(authorize_url):
    parts = urlsplit(authorize_url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["scope"] = "user-read-private"
    return parts.path + "?" + urlencode(query)


def test_a_grant_without_the_write_scope_saves_nothing(app, client, active_release, unique):
    slug, email = active_release(), f"{unique('fan')}@example.com"
    narrowed = _without_write_scope(start(client, slug, email=email).headers["Location"])
    client.get(sandbox_decision(client, narrowed))
    assert any("didn't give permission to add music" in m for m in flashes(client))
    assert counts(app, Fan, email=email) == 0


def test_a_grant_that_dies_before_release_needs_a_way_to_reach_the_fan(app, client,
                                                                       active_release, unique):
    slug, email = active_release(days=200), f"{unique('fan')}@example.com"
    refused = start(client, slug, email=email)
    assert refused.status_code == 422
    assert "expire after six months" in refused.get_data(as_text=True)
    going = start(client, slug, email=email, consent_email_marketing="1")
    client.get(sandbox_decision(client, going.headers["Location"]))
    messages = flashes(client)
    assert any("Pre-Save Successful!" in m for m in messages)
    assert any("expire before this release" in m for m in messages)


def test_staff_see_the_new_fan_consent_and_presave_at_once(app, client, active_release, unique,
                                                           login, api):
    slug, email = active_release(), f"{unique('fan')}@example.com"
    going = start(client, slug, email=email, consent_email_marketing="1")
    client.get(sandbox_decision(client, going.headers["Location"]))
    staff = login("staff@northwind.test")
    assert email in staff.get(f"/fans/list/?_flt_2_email={email}").get_data(as_text=True)
    with app.app_context(), scoped(Scope.platform()):
        fan_id = db.session.scalars(select(Fan.id).where(Fan.email == email)).one()
    shown = staff.get(f"/fans/show/{fan_id}").get_data(as_text=True)  # with its related lists
    assert "Flow Song" in shown and "Email marketing" in shown and "Pending" in shown
    api_client, headers = api("staff@northwind.test")
    fans = api_client.get(f'/api/v1/fans/?q=(filters:!((col:email,opr:eq,value:\'{email}\')))',
                          headers=headers).get_json()["result"]
    assert [f["email"] for f in fans] == [email]
    assert fans[0]["consents"][0]["purpose"] == "email_marketing"
    ledger = api_client.get(f"/api/v1/presaves/?q=(filters:!((col:fan,opr:rel_o_m,"
                            f"value:{fans[0]['id']})))", headers=headers).get_json()["result"]
    assert [(p["platform"], p["action"], p["state"]) for p in ledger] == [
        ("spotify", "save", "pending")]
    other = login("staff@harbor.test")
    assert email not in other.get("/fans/list/").get_data(as_text=True)
    assert email not in other.get("/consents/list/").get_data(as_text=True)


INSTAGRAM = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Mobile/15E148 Instagram 300.0.0.0.0")


def test_a_reminder_needs_a_contact_but_no_marketing_consent(app, client, active_release, unique):
    slug, email = active_release(), f"{unique('rem')}@example.com"
    headers = {"User-Agent": INSTAGRAM}
    step = client.post(page(slug) + "/presave", data={"platform": "spotify"}, headers=headers)
    assert step.status_code == 200 and 'id="f-email"' in step.get_data(as_text=True)
    refused = client.post(page(slug) + "/presave", data={"platform": "spotify", "step": "details"},
                          headers=headers)
    assert refused.status_code == 422 and "leave your email" in refused.get_data(as_text=True)
    done = client.post(page(slug) + "/presave", data={"platform": "spotify", "email": email},
                       headers=headers)
    assert done.status_code == 302 and any("You're on the list!" in m for m in flashes(client))
    with app.app_context(), scoped(Scope.platform()):
        fan = db.session.scalars(select(Fan).where(Fan.email == email)).one()
        assert [c.purpose for c in fan.consents] == ["release_reminder"]
        assert "reminder" in fan.consents[0].wording
        presave = db.session.scalars(select(PreSave).where(PreSave.fan_id == fan.id)).one()
        assert (presave.action, presave.authorization_id) == ("remind", None)
