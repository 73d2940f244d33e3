"""The sandbox through HTTP: OAuth pages and token endpoints, APIs, faults and the admin API.

The helpers that drive the OAuth dance are in tests/sandbox_calls.py.
"""
import json
import time
from urllib.parse import parse_qs

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from app.platforms.registry import client_class
from app.sandbox import state
from tests.sandbox_calls import (CLIENT, OAUTH_PLATFORMS, PKCE_PLATFORMS, SCOPES, admin, agree,
                                 app_token, authorize_path, bearer, client_token, developer_token,
                                 exchange, faults, query_of, refresh, saves, tokens, user_id)


@pytest.fixture(autouse=True)
def calm_sandbox(app):
    """No test leaves faults, quotas or a developer key behind."""
    yield
    with app.app_context():
        for platform in OAUTH_PLATFORMS + ["apple_music"]:
            state.clear_faults(platform)
        for key in state._r().scan_iter("sandbox:youtube_music:quota:*"):
            state._r().delete(key)
        state._r().delete("sandbox:apple_music:setting:developer_key")


@pytest.mark.parametrize("platform", OAUTH_PLATFORMS)
def test_authorize_page_shows_app_scopes_and_both_buttons(client, platform):
    response = client.get(authorize_path(platform, pkce=platform in PKCE_PLATFORMS))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert CLIENT in page and "Agree" in page and "Cancel" in page
    for scope in SCOPES[platform].replace(",", " ").split():
        assert scope in page
    assert page.count('method="post"') == 1 and "<script" not in page and "<link" not in page


@pytest.mark.parametrize("platform", OAUTH_PLATFORMS)
def test_agree_redirects_with_code_and_state(client, platform):
    assert agree(client, platform, pkce=platform in PKCE_PLATFORMS)


@pytest.mark.parametrize("platform", OAUTH_PLATFORMS)
def test_cancel_redirects_with_the_platforms_denial(client, platform):
    response = client.post(authorize_path(platform, pkce=platform in PKCE_PLATFORMS),
                           data={"decision": "cancel"})
    query = query_of(response.headers["Location"])
    assert response.status_code == 302 and query["state"] == "st-123" and "code" not in query
    expected = {"error_reason": "user_denied"} if platform == "deezer" else {"error": "access_denied"}
    assert expected.items() <= query.items()


def test_authorize_without_client_or_redirect_is_a_400_page(client):
    response = client.get("/sandbox/spotify/authorize?response_type=code")
    assert response.status_code == 400 and "client_id" in response.get_data(as_text=True)


def test_tidal_refuses_an_authorization_without_pkce(client):
    response = client.get(authorize_path("tidal", pkce=False))
    query = query_of(response.headers["Location"])
    assert response.status_code == 302 and query["error"] == "invalid_request"
    assert query["state"] == "st-123"


def test_plain_pkce_and_wrong_response_type_are_refused(client):
    plain = query_of(client.get(authorize_path("spotify", code_challenge_method="plain")).headers["Location"])
    token = query_of(client.get(authorize_path("spotify", response_type="token")).headers["Location"])
    assert plain["error"] == "invalid_request" and token["error"] == "unsupported_response_type"


# --- the token endpoint --------------------------------------------------

@pytest.mark.parametrize("platform", PKCE_PLATFORMS)
def test_code_exchange_checks_the_pkce_verifier(client, platform):
    wrong = exchange(client, platform, agree(client, platform), verifier="x" * 43)
    assert wrong.status_code == 400
    assert wrong.get_json() == {"error": "invalid_grant", "error_description": "code_verifier was incorrect"}
    right = exchange(client, platform, agree(client, platform))
    body = right.get_json()
    assert right.status_code == 200 and body["expires_in"] == 3600
    assert body["token_type"].lower() == "bearer" and body["access_token"] and body["refresh_token"]


@pytest.mark.parametrize("platform", PKCE_PLATFORMS)
def test_a_code_works_once(client, platform):
    code = agree(client, platform)
    assert exchange(client, platform, code).status_code == 200
    again = exchange(client, platform, code)
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"


def test_the_redirect_uri_must_match(client):
    response = exchange(client, "spotify", agree(client, "spotify"), redirect_uri="https://evil.test/cb")
    assert response.get_json() == {"error": "invalid_grant", "error_description": "Invalid redirect URI"}


def test_a_confidential_client_needs_a_secret_and_basic_auth_is_recorded(client, unique):
    fan = user_id(unique)
    no_secret = exchange(client, "spotify", agree(client, "spotify", pkce=False), verifier=None)
    assert no_secret.status_code == 401 and no_secret.get_json()["error"] == "invalid_client"
    ok = exchange(client, "spotify", agree(client, "spotify", pkce=False, user=fan), verifier=None, basic=True)
    assert ok.status_code == 200
    grants = client.get(f"/sandbox/_admin/spotify/grants?user={fan}").get_json()["grants"]
    assert [(g["client_id"], g["client_auth"], g["pkce"]) for g in grants] == [(CLIENT, "basic", False)]


def test_unknown_grant_type_and_bad_basic_header(client):
    odd = client.post("/sandbox/spotify/token", data={"grant_type": "password"})
    bad = client.post("/sandbox/spotify/token", data={"grant_type": "refresh_token"},
                      headers={"Authorization": "Basic !!!"})
    assert odd.status_code == 400 and odd.get_json()["error"] == "unsupported_grant_type"
    assert bad.status_code == 401 and bad.get_json()["error"] == "invalid_client"


def test_spotify_pkce_refresh_rotates_and_the_old_token_is_revoked(client):
    first = tokens(client, "spotify")["refresh_token"]
    rotated = refresh(client, "spotify", first)
    body = rotated.get_json()
    assert rotated.status_code == 200 and body["refresh_token"] != first and body["expires_in"] == 3600
    reused = refresh(client, "spotify", first)
    assert reused.status_code == 400
    assert reused.get_json() == {"error": "invalid_grant", "error_description": "Refresh token revoked"}
    assert refresh(client, "spotify", body["refresh_token"]).status_code == 200


def test_spotify_confidential_refresh_keeps_the_refresh_token(client):
    code = agree(client, "spotify", pkce=False)
    first = exchange(client, "spotify", code, verifier=None, basic=True).get_json()["refresh_token"]
    body = refresh(client, "spotify", first, secret=True).get_json()
    assert "refresh_token" not in body and refresh(client, "spotify", first, secret=True).status_code == 200


def test_spotify_refresh_tokens_die_six_months_after_the_original_grant(client):
    first = tokens(client, "spotify")["refresh_token"]
    latest = refresh(client, "spotify", first).get_json()["refresh_token"]
    admin(client, "spotify", "grants/backdate", refresh_token=latest, seconds=182 * 86400)
    latest = refresh(client, "spotify", latest).get_json()["refresh_token"]  # still inside six months
    admin(client, "spotify", "grants/backdate", refresh_token=latest, seconds=2 * 86400)
    dead = refresh(client, "spotify", latest)
    assert dead.status_code == 400
    assert dead.get_json() == {"error": "invalid_grant", "error_description": "Refresh token expired"}


@pytest.mark.parametrize("platform", ["tidal", "youtube_music"])
def test_tidal_and_google_refresh_tokens_do_not_rotate(client, platform):
    first = tokens(client, platform)["refresh_token"]
    for _ in range(2):
        body = refresh(client, platform, first).get_json()
        assert body["access_token"] and "refresh_token" not in body


def test_tidal_token_response_carries_the_user_id(client, unique):
    fan = "12345678"
    assert tokens(client, "tidal", user=fan)["user_id"] == 12345678


def test_amazon_rotates_refresh_tokens(client):
    body = tokens(client, "amazon_music")
    assert body["access_token"].startswith("Atza|") and body["refresh_token"].startswith("Atzr|")
    rotated = refresh(client, "amazon_music", body["refresh_token"]).get_json()
    assert rotated["refresh_token"].startswith("Atzr|") and rotated["refresh_token"] != body["refresh_token"]
    assert refresh(client, "amazon_music", body["refresh_token"]).get_json()["error"] == "invalid_grant"


def test_google_gives_a_refresh_token_only_for_offline_access(client):
    code = agree(client, "youtube_music", access_type="online")
    assert "refresh_token" not in exchange(client, "youtube_music", code).get_json()


def test_deezer_token_endpoint_answers_form_encoded_json_or_plain_text(client, unique):
    form = exchange(client, "deezer", agree(client, "deezer", pkce=False))
    parsed = parse_qs(form.get_data(as_text=True))
    assert form.status_code == 200 and parsed["expires"] == ["3600"] and parsed["access_token"][0]
    offline = agree(client, "deezer", pkce=False, perms="basic_access,offline_access,manage_library")
    body = exchange(client, "deezer", offline, output="json").get_json()
    assert body["expires"] == 0 and body["access_token"] and "refresh_token" not in body
    wrong = exchange(client, "deezer", "not-a-code")
    assert wrong.status_code == 200 and wrong.get_data(as_text=True) == "wrong code"


def test_deezer_offline_tokens_never_expire(app, client):
    code = agree(client, "deezer", pkce=False, perms="basic_access,offline_access")
    token = exchange(client, "deezer", code, output="json").get_json()["access_token"]
    with app.app_context():
        record = json.loads(state._r().get(f"sandbox:deezer:access:{token}"))
    assert record["expires_at"] == 0
    assert client.get(f"/sandbox/deezer/api/user/me?access_token={token}").get_json()["type"] == "user"


# --- the app's own token (client credentials) ----------------------------

APP_TOKEN_PLATFORMS = ["spotify", "tidal"]


@pytest.mark.parametrize("platform", APP_TOKEN_PLATFORMS)
@pytest.mark.parametrize("basic", [True, False])
def test_client_credentials_give_an_app_token_without_refresh_or_user(client, platform, basic):
    response = client_token(client, platform, basic=basic)
    body = response.get_json()
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["access_token"]


@pytest.mark.parametrize("platform", APP_TOKEN_PLATFORMS)
@pytest.mark.parametrize("secret, basic", [("", True), ("  ", True), ("", False), (None, False)])
def test_client_credentials_need_the_secret(client, platform, secret, basic):
    response = client_token(client, platform, secret=secret, basic=basic)
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_client"


@pytest.mark.parametrize("platform", APP_TOKEN_PLATFORMS)
def test_the_sandboxs_own_app_must_bring_its_own_secret(app, client, platform):
    """The app the platform clients are given in sandbox mode: a wrong secret gets Spotify's
    answer, 400 invalid_client (other client ids are taken on trust, as above)."""
    own = client_class(platform).sandbox_credentials(app.config)
    grant = {"grant_type": "client_credentials"}
    wrong = client.post(f"/sandbox/{platform}/token", data=grant, auth=(own.client_id, "nope"))
    assert wrong.status_code == 400
    assert wrong.get_json() == {"error": "invalid_client", "error_description": "Invalid client"}
    right = client.post(f"/sandbox/{platform}/token", data=grant,
                        auth=(own.client_id, own.client_secret))
    assert right.status_code == 200 and right.get_json()["access_token"]


def test_deezer_refuses_its_own_app_with_a_wrong_secret(app, client):
    own = client_class("deezer").sandbox_credentials(app.config)
    answer = client.get("/sandbox/deezer/token", query_string={
        "app_id": own.client_id, "secret": "nope", "code": "any"})
    assert answer.get_data(as_text=True) == "wrong app_id or secret"


@pytest.mark.parametrize("platform", ["youtube_music", "amazon_music"])
def test_platforms_without_app_tokens_refuse_client_credentials(client, platform):
    response = client_token(client, platform)
    assert response.status_code == 400 and response.get_json()["error"] == "unsupported_grant_type"


def test_a_spotify_app_token_searches_but_has_no_user(client, unique):
    isrc = "CC" + unique("")[-8:].upper() + "01"
    track = admin(client, "spotify", "catalog", isrc=isrc, title="App read")
    headers = bearer(app_token(client, "spotify"))
    found = client.get(f"/sandbox/spotify/api/search?q=isrc:{isrc}&type=track", headers=headers)
    assert found.status_code == 200 and [t["id"] for t in found.get_json()["tracks"]["items"]] == [track["id"]]
    refused = [client.get("/sandbox/spotify/api/me", headers=headers),
               client.put(f"/sandbox/spotify/api/me/library?uris=spotify:track:{spotify_id(1)}", headers=headers),
               client.get(f"/sandbox/spotify/api/me/library/contains?uris=spotify:track:{spotify_id(1)}",
                          headers=headers)]
    for response in refused:
        assert response.status_code == 401
        assert response.get_json() == {"error": {"status": 401, "message": "Permissions missing"}}


def test_a_tidal_app_token_reads_the_catalogue_but_no_user_or_collection(client, unique):
    isrc = "CT" + unique("")[-8:].upper() + "02"
    track = admin(client, "tidal", "catalog", isrc=isrc, title="App read")
    album = admin(client, "tidal", "catalog", upc="196589525451", title="App album")
    headers = bearer(app_token(client, "tidal"))
    tracks = client.get(f"/sandbox/tidal/api/tracks?filter[isrc]={isrc}&countryCode=US", headers=headers)
    assert [t["id"] for t in tracks.get_json()["data"]] == [track["id"]]
    albums = client.get("/sandbox/tidal/api/albums?filter[barcodeId]=196589525451", headers=headers)
    assert album["id"] in [a["id"] for a in albums.get_json()["data"]]
    for response in (client.get("/sandbox/tidal/api/users/me", headers=headers),
                     tidal_add(client, headers, [track["id"]])):
        error = response.get_json()["errors"][0]
        assert response.status_code == 403 and response.mimetype == "application/vnd.api+json"
        assert (error["status"], error["code"]) == ("403", "FORBIDDEN")
    every_save = client.get("/sandbox/_admin/tidal/saves").get_json()["saves"]
    assert track["id"] not in [s["id"] for s in every_save]


def test_an_app_token_expires_like_a_fans(client):
    token = app_token(client, "spotify")
    assert admin(client, "spotify", "tokens/expire", access_token=token) == {"expired": 1}
    response = client.get("/sandbox/spotify/api/search?q=isrc:X&type=track", headers=bearer(token))
    assert response.status_code == 401 and response.get_json()["error"]["message"] == "The access token expired"


# --- identity ------------------------------------------------------------

def test_identity_endpoints_name_the_sandbox_user(client, unique):
    fan = user_id(unique)
    spotify = client.get("/sandbox/spotify/api/me", headers=bearer(tokens(client, "spotify", user=fan)["access_token"]))
    assert spotify.get_json()["account_id"] == fan and spotify.get_json()["id"]
    tidal = client.get("/sandbox/tidal/api/users/me", headers=bearer(tokens(client, "tidal", user=fan)["access_token"]))
    assert tidal.mimetype == "application/vnd.api+json"
    assert tidal.get_json()["data"]["id"] == fan and tidal.get_json()["data"]["type"] == "users"
    youtube = client.get("/sandbox/youtube_music/api/channels?mine=true&part=id",
                         headers=bearer(tokens(client, "youtube_music", user=fan)["access_token"]))
    assert [i["id"] for i in youtube.get_json()["items"]] == [fan]
    amazon = client.get("/sandbox/amazon_music/api/me", headers={
        **bearer(tokens(client, "amazon_music", user=fan)["access_token"]), "x-api-key": "profile"})
    assert amazon.get_json()["data"]["id"] == fan
    deezer_token = tokens(client, "deezer", user=fan)["access_token"]
    assert client.get(f"/sandbox/deezer/api/user/me?access_token={deezer_token}").get_json()["id"] == fan


def test_a_new_grant_makes_up_a_stable_user(client):
    token = tokens(client, "spotify")["access_token"]
    first = client.get("/sandbox/spotify/api/me", headers=bearer(token)).get_json()
    again = client.get("/sandbox/spotify/api/me", headers=bearer(token)).get_json()
    other = client.get("/sandbox/spotify/api/me", headers=bearer(tokens(client, "spotify")["access_token"])).get_json()
    assert first == again and len(first["account_id"]) == 10 and other["account_id"] != first["account_id"]


# --- expired and revoked tokens ------------------------------------------

EXPIRED_SHAPES = {
    "spotify": ("/sandbox/spotify/api/me", 401, lambda b: b["error"] == {"status": 401, "message": "The access token expired"}),
    "tidal": ("/sandbox/tidal/api/users/me", 401, lambda b: b["errors"][0]["status"] == "401"),
    "youtube_music": ("/sandbox/youtube_music/api/channels?mine=true&part=id", 401,
                      lambda b: b["error"]["code"] == 401 and b["error"]["errors"][0]["reason"] == "authError"),
    "amazon_music": ("/sandbox/amazon_music/api/me", 401, lambda b: b == {"message": "Unauthorized"}),
    "deezer": ("/sandbox/deezer/api/user/me", 200, lambda b: b["error"]["code"] == 300),
}


@pytest.mark.parametrize("platform", OAUTH_PLATFORMS)
def test_an_expired_access_token_gets_the_platforms_401(client, platform):
    token = tokens(client, platform)["access_token"]
    path, status, shape = EXPIRED_SHAPES[platform]
    headers = {**bearer(token), "x-api-key": "profile"}
    if platform == "deezer":
        path += f"?access_token={token}"
    assert client.get(path, headers=headers).status_code == 200
    assert admin(client, platform, "tokens/expire", access_token=token) == {"expired": 1}
    response = client.get(path, headers=headers)
    assert response.status_code == status and shape(response.get_json())


def test_expiring_by_user_expires_every_token_but_refresh_still_works(client, unique):
    fan = user_id(unique)
    body = tokens(client, "tidal", user=fan)
    assert admin(client, "tidal", "tokens/expire", user=fan)["expired"] == 1
    assert client.get("/sandbox/tidal/api/users/me", headers=bearer(body["access_token"])).status_code == 401
    fresh = refresh(client, "tidal", body["refresh_token"]).get_json()["access_token"]
    assert client.get("/sandbox/tidal/api/users/me", headers=bearer(fresh)).status_code == 200


def test_revoking_a_grant_kills_access_and_refresh(client, unique):
    body = tokens(client, "spotify")
    assert admin(client, "spotify", "tokens/revoke", refresh_token=body["refresh_token"]) == {"revoked": 1}
    assert client.get("/sandbox/spotify/api/me", headers=bearer(body["access_token"])).get_json() == \
        {"error": {"status": 401, "message": "Invalid access token"}}
    assert refresh(client, "spotify", body["refresh_token"]).get_json()["error"] == "invalid_grant"


def test_no_token_and_unknown_paths(client):
    assert client.get("/sandbox/spotify/api/me").get_json() == {"error": {"status": 401, "message": "No token provided"}}
    assert client.get("/sandbox/spotify/api/nowhere").status_code == 404
    assert client.get("/sandbox/deezer/api/nowhere").get_json() == {"error": "Not Found"}


# --- Spotify library and search ------------------------------------------

def spotify_id(n):
    return f"{n:022d}".replace("0", "A")


def test_spotify_saves_are_recorded_and_checked(client, unique):
    fan = user_id(unique)
    headers = bearer(tokens(client, "spotify", user=fan)["access_token"])
    uris = ",".join(f"spotify:track:{spotify_id(n)}" for n in range(1, 41))
    saved = client.put(f"/sandbox/spotify/api/me/library?uris={uris}", headers=headers)
    assert saved.status_code == 200 and saved.get_data() == b""
    contains = client.get(f"/sandbox/spotify/api/me/library/contains?uris=spotify:track:{spotify_id(1)},"
                          f"spotify:album:{spotify_id(1)}", headers=headers)
    assert contains.get_json() == [True, False]
    recorded = saves(client, "spotify", fan)
    assert len(recorded) == 40 and recorded[0]["id"] == spotify_id(1) and recorded[0]["client_id"] == CLIENT


@pytest.mark.parametrize("uris, message", [
    ("", "Missing required parameter: uris"),
    (",".join(f"spotify:track:{spotify_id(n)}" for n in range(41)), "Too many URIs: at most 40"),
    ("spotify:track:short", "Invalid URI: spotify:track:short"),
    (f"spotify:chapter:{spotify_id(1)}", f"Invalid URI: spotify:chapter:{spotify_id(1)}"),
])
def test_spotify_refuses_bad_uris_with_400(client, uris, message):
    headers = bearer(tokens(client, "spotify")["access_token"])
    response = client.put(f"/sandbox/spotify/api/me/library?uris={uris}", headers=headers)
    assert response.status_code == 400 and response.get_json() == {"error": {"status": 400, "message": message}}


def test_spotify_search_by_isrc_and_upc(client, unique):
    isrc = "QZ" + unique("")[-8:].upper().replace("-", "") + "00"
    first = admin(client, "spotify", "catalog", isrc=isrc, title="Single version", release_date="2026-05-01")
    second = admin(client, "spotify", "catalog", isrc=isrc, title="Album version")
    album = admin(client, "spotify", "catalog", upc="00602445868162", title="The Album")
    headers = bearer(tokens(client, "spotify")["access_token"])
    found = client.get(f"/sandbox/spotify/api/search?q=isrc:{isrc}&type=track&limit=10", headers=headers).get_json()
    assert [t["id"] for t in found["tracks"]["items"]] == [first["id"], second["id"]]
    assert found["tracks"]["items"][0]["external_ids"] == {"isrc": isrc}
    albums = client.get("/sandbox/spotify/api/search?q=upc:602445868162&type=album", headers=headers).get_json()
    assert album["id"] in [a["id"] for a in albums["albums"]["items"]]
    none = client.get("/sandbox/spotify/api/search?q=isrc:XX0000000000&type=track", headers=headers).get_json()
    assert none["tracks"]["items"] == [] and none["tracks"]["total"] == 0


@pytest.mark.parametrize("query, message", [
    ("q=isrc:X&type=track&limit=11", "Invalid limit"), ("q=isrc:X&type=track&limit=ten", "Invalid limit"),
    ("type=track", "No search query"), ("q=isrc:X&type=song", "Bad search type field"),
    ("q=isrc:X&type=track&offset=1001", "Invalid offset"),
])
def test_spotify_search_refuses_bad_parameters(client, query, message):
    headers = bearer(tokens(client, "spotify")["access_token"])
    response = client.get(f"/sandbox/spotify/api/search?{query}", headers=headers)
    assert response.status_code == 400 and response.get_json()["error"]["message"] == message


# --- faults --------------------------------------------------------------

def test_spotify_429_with_retry_after_then_quota_exceeded(client):
    headers = bearer(tokens(client, "spotify")["access_token"])
    faults(client, "spotify", rate_429=1, retry_after=7)
    limited = client.get("/sandbox/spotify/api/me", headers=headers)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert limited.get_json() == {"error": {"status": 429, "message": "Too many requests"}}
    faults(client, "spotify", rate_429=0, quota_exceeded=True)
    quota = client.get("/sandbox/spotify/api/me", headers=headers)
    assert quota.status_code == 429 and quota.get_json()["error"]["reason"] == "QUOTA_EXCEEDED"


@pytest.mark.parametrize("platform, status, check", [
    ("tidal", 429, lambda b: b["errors"][0]["status"] == "429"),
    ("youtube_music", 429, lambda b: b["error"]["errors"][0]["reason"] == "rateLimitExceeded"),
    ("amazon_music", 429, lambda b: b == {"message": "Too many requests"}),
    ("apple_music", 429, lambda b: b["errors"][0]["status"] == "429"),
    ("deezer", 200, lambda b: b["error"] == {"type": "Exception", "message": "Quota limit exceeded", "code": 4}),
])
def test_429_in_each_platforms_shape(client, platform, status, check):
    faults(client, platform, rate_429=1, retry_after=3)
    response = client.get(f"/sandbox/{platform}/api/anything")
    assert response.status_code == status and check(response.get_json())


def test_5xx_and_latency(client):
    faults(client, "tidal", rate_5xx=1)
    assert client.get("/sandbox/tidal/api/tracks").status_code == 503
    faults(client, "tidal", rate_5xx=0, latency_ms=150)
    started = time.monotonic()
    client.get("/sandbox/tidal/api/tracks")
    assert time.monotonic() - started >= 0.15


def test_admin_refuses_bad_faults_and_unknown_platforms(client):
    assert client.post("/sandbox/_admin/spotify/faults", json={"rate_429": 2}).status_code == 400
    assert client.post("/sandbox/_admin/spotify/faults", json={"colour": 1}).status_code == 400
    assert client.post("/sandbox/_admin/spotify/faults", data="nope").status_code == 400
    assert client.post("/sandbox/_admin/myspace/faults", json={}).status_code == 404
    assert client.post("/sandbox/_admin/spotify/tokens/expire", json={}).status_code == 400
    assert client.post("/sandbox/_admin/spotify/catalog", json={"title": "no code"}).status_code == 400
    assert client.post("/sandbox/_admin/spotify/catalog", json={"isrc": 5}).status_code == 400
    assert client.delete("/sandbox/_admin/spotify/faults").get_json()["rate_429"] == 0


# --- YouTube -------------------------------------------------------------

def test_youtube_like_is_204_and_the_daily_quota_gives_403(client, unique):
    fan = user_id(unique)
    video = admin(client, "youtube_music", "catalog", id="dQw4w9WgXcQ", title="Video")["id"]
    headers = bearer(tokens(client, "youtube_music", user=fan)["access_token"])
    faults(client, "youtube_music", daily_writes=2)
    liked = client.post(f"/sandbox/youtube_music/api/videos/rate?id={video}&rating=like", headers=headers)
    assert liked.status_code == 204
    missing = client.post("/sandbox/youtube_music/api/videos/rate?id=nope&rating=like", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"]["errors"][0]["reason"] == "videoNotFound"
    over = client.post(f"/sandbox/youtube_music/api/videos/rate?id={video}&rating=like", headers=headers)
    error = over.get_json()["error"]
    assert over.status_code == 403 and error["code"] == 403
    assert error["errors"][0] | {"message": ""} == {"message": "", "domain": "youtube.quota", "reason": "quotaExceeded"}
    rating = client.get(f"/sandbox/youtube_music/api/videos/getRating?id={video}", headers=headers)
    assert rating.get_json()["items"] == [{"videoId": video, "rating": "like"}]
    assert [s["id"] for s in saves(client, "youtube_music", fan)] == [video]


def test_youtube_refuses_a_bad_rating(client):
    headers = bearer(tokens(client, "youtube_music")["access_token"])
    response = client.post("/sandbox/youtube_music/api/videos/rate?id=x&rating=love", headers=headers)
    assert response.status_code == 400 and response.get_json()["error"]["errors"][0]["reason"] == "invalidRating"


# --- Deezer --------------------------------------------------------------

def test_deezer_saves_true_and_errors_inside_200(client, unique):
    fan = user_id(unique)
    isrc = "DZ" + unique("")[-8:].upper() + "11"
    track = admin(client, "deezer", "catalog", isrc=isrc, title="Deezer song")
    token = tokens(client, "deezer", user=fan)["access_token"]
    saved = client.post(f"/sandbox/deezer/api/user/me/tracks?track_id={track['id']}&access_token={token}")
    assert saved.status_code == 200 and saved.get_json() is True
    unknown = client.post(f"/sandbox/deezer/api/user/me/tracks?track_id=1&access_token={token}")
    assert unknown.status_code == 200
    assert unknown.get_json() == {"error": {"type": "DataException", "message": "no data", "code": 800}}
    missing = client.post(f"/sandbox/deezer/api/user/me/tracks?access_token={token}").get_json()
    assert missing["error"]["code"] == 501
    bad_token = client.post(f"/sandbox/deezer/api/user/me/tracks?track_id={track['id']}&access_token=nope")
    assert bad_token.status_code == 200 and bad_token.get_json()["error"]["type"] == "OAuthException"
    assert [s["id"] for s in saves(client, "deezer", fan)] == [track["id"]]
    listed = client.get(f"/sandbox/deezer/api/user/me/tracks?access_token={token}").get_json()
    assert [t["isrc"] for t in listed["data"]] == [isrc]


def test_deezer_needs_manage_library_to_save(client):
    code = agree(client, "deezer", pkce=False, perms="basic_access")
    token = exchange(client, "deezer", code, output="json").get_json()["access_token"]
    response = client.post(f"/sandbox/deezer/api/user/me/tracks?track_id=1&access_token={token}")
    assert response.get_json()["error"]["code"] == 200


def test_deezer_follows_an_artist_true_and_errors_inside_200(client, unique):
    fan = user_id(unique)
    token = tokens(client, "deezer", user=fan)["access_token"]
    followed = client.post(f"/sandbox/deezer/api/user/me/artists?artist_id=27&access_token={token}")
    assert followed.status_code == 200 and followed.get_json() is True
    odd = client.post(f"/sandbox/deezer/api/user/me/artists?artist_id=abc&access_token={token}")
    assert odd.status_code == 200 and odd.get_json()["error"]["code"] == 800
    missing = client.post(f"/sandbox/deezer/api/user/me/artists?access_token={token}").get_json()
    assert missing["error"]["code"] == 501
    assert [(s["id"], s["kind"]) for s in saves(client, "deezer", fan)] == [("27", "artist")]
    code = agree(client, "deezer", pkce=False, perms="basic_access")
    narrow = exchange(client, "deezer", code, output="json").get_json()["access_token"]
    refused = client.post(f"/sandbox/deezer/api/user/me/artists?artist_id=27&access_token={narrow}")
    assert refused.get_json()["error"]["code"] == 200


def test_deezer_lookup_by_isrc_and_upc(client, unique):
    isrc = "DE" + unique("")[-8:].upper() + "22"
    track = admin(client, "deezer", "catalog", isrc=isrc, title="Found")
    album = admin(client, "deezer", "catalog", upc="0724384960650", title="Album")
    found = client.get(f"/sandbox/deezer/api/track/isrc:{isrc}").get_json()
    assert found["id"] == int(track["id"]) and found["isrc"] == isrc
    assert client.get("/sandbox/deezer/api/album/upc:724384960650").get_json()["id"] == int(album["id"])
    unknown = client.get("/sandbox/deezer/api/track/isrc:XX0000000000")
    assert unknown.status_code == 200 and unknown.get_json()["error"]["code"] == 800


def test_deezer_saves_albums_with_their_tracks_one_id_a_call(client, unique):
    fan = user_id(unique)
    songs = [admin(client, "deezer", "catalog", isrc=f"DA{unique('')[-8:].upper()}{n}0",
                   title=f"Song {n}")["id"] for n in range(3)]
    album = admin(client, "deezer", "catalog", upc="0724384960667", title="The EP", kind="album",
                  tracks=songs)
    token = tokens(client, "deezer", user=fan)["access_token"]
    saved = client.post(f"/sandbox/deezer/api/user/me/albums?album_id={album['id']}&access_token={token}")
    assert saved.status_code == 200 and saved.get_json() is True
    unknown = client.post(f"/sandbox/deezer/api/user/me/albums?album_id=1&access_token={token}")
    assert unknown.status_code == 200 and unknown.get_json()["error"]["code"] == 800
    missing = client.post(f"/sandbox/deezer/api/user/me/albums?access_token={token}").get_json()
    assert missing["error"]["code"] == 501
    listed = client.get(f"/sandbox/deezer/api/user/me/albums?access_token={token}").get_json()
    assert [(a["id"], a["nb_tracks"]) for a in listed["data"]] == [(int(album["id"]), 3)]
    assert [t["id"] for t in listed["data"][0]["tracks"]["data"]] == [int(s) for s in songs]
    assert [(s["id"], s["kind"]) for s in saves(client, "deezer", fan)] == [(album["id"], "album")]


def test_the_admin_refuses_an_album_of_unknown_tracks(client):
    answer = client.post("/sandbox/_admin/deezer/catalog",
                         json={"upc": "0724384960674", "kind": "album", "tracks": ["404404"]})
    assert answer.status_code == 400 and "tracks" in answer.get_json()["error"]


# --- TIDAL ---------------------------------------------------------------

def tidal_add(client, headers, ids, key=None, content_type="application/vnd.api+json"):
    body = json.dumps({"data": [{"type": "tracks", "id": i} for i in ids]})
    extra = {"Idempotency-Key": key} if key else {}
    return client.post("/sandbox/tidal/api/userCollectionTracks/me/relationships/items", data=body,
                       headers={**headers, **extra, "Content-Type": content_type})


def test_tidal_adds_tracks_and_skips_present_or_unknown(client, unique):
    fan = "7" + unique("")[-7:].replace("-", "0")
    track = admin(client, "tidal", "catalog", isrc="TD" + unique("")[-8:].upper() + "33", title="T")["id"]
    headers = bearer(tokens(client, "tidal", user=fan)["access_token"])
    first = tidal_add(client, headers, [track, "999"])
    body = first.get_json()
    assert first.status_code == 200 and first.mimetype == "application/vnd.api+json"
    assert [d["id"] for d in body["data"]] == [track] and body["data"][0]["meta"]["addedAt"]
    assert body["meta"]["skipped"] == [{"id": "999", "type": "tracks", "reason": "NOT_FOUND"}]
    again = tidal_add(client, headers, [track]).get_json()
    assert again["data"] == [] and again["meta"]["skipped"][0]["reason"] == "ALREADY_PRESENT"
    assert [s["id"] for s in saves(client, "tidal", fan)] == [track]


def test_tidal_idempotency_key_replays_or_refuses_a_different_payload(client, unique):
    track = admin(client, "tidal", "catalog", isrc="TI" + unique("")[-8:].upper() + "44")["id"]
    headers = bearer(tokens(client, "tidal")["access_token"])
    key = unique("idem")
    first = tidal_add(client, headers, [track], key=key)
    replay = tidal_add(client, headers, [track], key=key)
    assert replay.status_code == 200 and replay.get_json() == first.get_json()
    other = tidal_add(client, headers, ["123"], key=key)
    assert other.status_code == 422
    assert other.get_json()["errors"][0]["code"] == "IDEMPOTENT_REQUEST_PAYLOAD_MISMATCH"


def test_tidal_adds_albums_to_user_collection_albums(client, unique):
    fan = "7" + unique("")[-7:].replace("-", "0")
    song = admin(client, "tidal", "catalog", isrc="TA" + unique("")[-8:].upper() + "55")["id"]
    album = admin(client, "tidal", "catalog", upc="0724384960681", kind="album", tracks=[song])["id"]
    headers = {**bearer(tokens(client, "tidal", user=fan)["access_token"]),
               "Content-Type": "application/vnd.api+json"}
    url = "/sandbox/tidal/api/userCollectionAlbums/me/relationships/items"
    added = client.post(url, headers=headers, data=json.dumps(
        {"data": [{"type": "albums", "id": album}, {"type": "albums", "id": song}]})).get_json()
    assert [d["id"] for d in added["data"]] == [album]
    assert added["meta"]["skipped"] == [{"id": song, "type": "albums", "reason": "NOT_FOUND"}]
    assert added["links"]["self"] == "/userCollectionAlbums/me/relationships/items"
    wrong_type = client.post(url, headers=headers,
                             data=json.dumps({"data": [{"type": "tracks", "id": album}]}))
    assert wrong_type.status_code == 400
    assert [(s["id"], s["kind"]) for s in saves(client, "tidal", fan)] == [(album, "album")]


def test_tidal_follows_artists_through_user_collection_artists(client, unique):
    fan = "7" + unique("")[-7:].replace("-", "0")
    headers = {**bearer(tokens(client, "tidal", user=fan)["access_token"]),
               "Content-Type": "application/vnd.api+json"}
    url = "/sandbox/tidal/api/userCollectionArtists/me/relationships/items"

    def follow(*ids, kind="artists"):
        return client.post(url, headers=headers,
                           data=json.dumps({"data": [{"type": kind, "id": i} for i in ids]}))
    first = follow("1566", "not-an-id").get_json()
    assert [d["id"] for d in first["data"]] == ["1566"]
    assert first["meta"]["skipped"] == [{"id": "not-an-id", "type": "artists", "reason": "NOT_FOUND"}]
    assert follow("1566").get_json()["meta"]["skipped"][0]["reason"] == "ALREADY_PRESENT"
    wrong_type = follow("1566", kind="tracks")
    assert wrong_type.status_code == 400 and wrong_type.get_json()["errors"][0]["status"] == "400"
    assert [(s["id"], s["kind"]) for s in saves(client, "tidal", fan)] == [("1566", "artist")]


@pytest.mark.parametrize("ids, content_type, status", [
    ([], "application/vnd.api+json", 400),
    ([str(n) for n in range(51)], "application/vnd.api+json", 400),
    (["1", "1"], "application/vnd.api+json", 409),
    (["1"], "application/json", 415),
])
def test_tidal_refuses_bad_adds(client, ids, content_type, status):
    headers = bearer(tokens(client, "tidal")["access_token"])
    response = tidal_add(client, headers, ids, content_type=content_type)
    assert response.status_code == status and response.get_json()["errors"][0]["status"] == str(status)


def test_tidal_lookup_by_isrc_and_barcode(client, unique):
    isrc = "TL" + unique("")[-8:].upper() + "55"
    one = admin(client, "tidal", "catalog", isrc=isrc, title="One")
    two = admin(client, "tidal", "catalog", isrc=isrc, title="Two")
    album = admin(client, "tidal", "catalog", upc="196589525444", title="Album")
    headers = bearer(tokens(client, "tidal")["access_token"])
    found = client.get(f"/sandbox/tidal/api/tracks?filter[isrc]={isrc}&countryCode=US", headers=headers).get_json()
    assert [t["id"] for t in found["data"]] == [one["id"], two["id"]]
    assert found["data"][0]["attributes"]["isrc"] == isrc
    albums = client.get("/sandbox/tidal/api/albums?filter[barcodeId]=196589525444", headers=headers).get_json()
    assert album["id"] in [a["id"] for a in albums["data"]]
    bad = client.get("/sandbox/tidal/api/tracks?filter[colour]=red", headers=headers)
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["status"] == "400"


# --- Amazon --------------------------------------------------------------

def test_amazon_needs_an_api_key_and_saves_tracks(client, unique):
    fan = user_id(unique)
    headers = bearer(tokens(client, "amazon_music", user=fan)["access_token"])
    no_key = client.put("/sandbox/amazon_music/api/me/library/tracks?ids=B0TEST0001", headers=headers)
    assert no_key.status_code == 403 and no_key.get_json() == {"message": "Forbidden"}
    headers["x-api-key"] = "security-profile"
    saved = client.put("/sandbox/amazon_music/api/me/library/tracks?ids=B0TEST0001", headers=headers)
    assert saved.status_code == 200 and saved.get_json() == {"data": {"tracks": [{"id": "B0TEST0001"}]}}
    assert client.put("/sandbox/amazon_music/api/me/library/tracks?ids=", headers=headers).status_code == 400
    assert [s["id"] for s in saves(client, "amazon_music", fan)] == ["B0TEST0001"]
    isrc = "AM" + unique("")[-8:].upper() + "66"
    item = admin(client, "amazon_music", "catalog", isrc=isrc)
    found = client.get(f"/sandbox/amazon_music/api/tracks?isrc={isrc}", headers=headers).get_json()
    assert [t["id"] for t in found["data"]["tracks"]] == [item["id"]]


# --- Apple Music ---------------------------------------------------------

def music_user_token(client, dev_token, user=None):
    response = client.post("/sandbox/apple_music/musickit/authorize", json={"user": user} if user else {},
                           headers=bearer(dev_token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["musicUserToken"]


@pytest.fixture
def apple_key(client):
    """A MusicKit key the sandbox verifies signatures with."""
    key = ec.generate_private_key(ec.SECP256R1())
    from cryptography.hazmat.primitives import serialization

    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    assert client.post("/sandbox/_admin/apple_music/developer_key", json={"public_key": pem}).status_code == 200
    return key


def test_apple_saves_202_and_ignores_unknown_ids(client, unique, apple_key):
    fan = user_id(unique)
    dev = developer_token(apple_key)
    song = admin(client, "apple_music", "catalog", isrc="AP" + unique("")[-8:].upper() + "77", title="Song")
    headers = {**bearer(dev), "Music-User-Token": music_user_token(client, dev, fan)}
    response = client.post(f"/sandbox/apple_music/api/me/library?ids[songs]={song['id']},999&ids[albums]=5",
                           headers=headers)
    assert response.status_code == 202 and response.get_data() == b""
    library = client.get("/sandbox/apple_music/api/me/library/songs", headers=headers).get_json()
    assert [s["attributes"]["playParams"]["catalogId"] for s in library["data"]] == [song["id"]]
    assert [s["id"] for s in saves(client, "apple_music", fan)] == [song["id"]]


@pytest.mark.parametrize("make", [
    lambda key: developer_token(key, alg="HS256"),
    lambda key: developer_token(key, kid=None),
    lambda key: developer_token(key, lifetime=15777001),
    lambda key: developer_token(key, iat=int(time.time()) - 7200),
    lambda key: developer_token(),  # signed with another key
    lambda key: "not.a.jwt",
])
def test_apple_refuses_a_bad_developer_token_with_401(client, apple_key, make):
    response = client.get("/sandbox/apple_music/api/catalog/us/songs?filter[isrc]=X", headers=bearer(make(apple_key)))
    error = response.get_json()["errors"][0]
    assert response.status_code == 401 and error["status"] == "401" and isinstance(error["code"], str)


def test_apple_needs_a_music_user_token_for_personal_calls(client, apple_key):
    dev = developer_token(apple_key)
    missing = client.post("/sandbox/apple_music/api/me/library?ids[songs]=1", headers=bearer(dev))
    assert missing.status_code == 403
    assert missing.get_json()["errors"][0] | {"id": "", "title": ""} == {
        "id": "", "title": "", "status": "403", "code": "40300", "detail": "Invalid authentication"}
    mut = music_user_token(client, dev)
    admin(client, "apple_music", "tokens/revoke", access_token=mut)
    revoked = client.get("/sandbox/apple_music/api/me/storefront",
                         headers={**bearer(dev), "Music-User-Token": mut})
    assert revoked.status_code == 403


def test_apple_catalog_by_isrc_and_upc(client, unique, apple_key):
    isrc = "AC" + unique("")[-8:].upper() + "88"
    songs = [admin(client, "apple_music", "catalog", isrc=isrc, title=t)["id"] for t in ("A", "B")]
    album = admin(client, "apple_music", "catalog", upc="00602445868162", title="LP")
    headers = bearer(developer_token(apple_key))
    found = client.get(f"/sandbox/apple_music/api/catalog/gb/songs?filter[isrc]={isrc}", headers=headers).get_json()
    assert [s["id"] for s in found["data"]] == songs and found["data"][0]["attributes"]["isrc"] == isrc
    albums = client.get("/sandbox/apple_music/api/catalog/us/albums?filter[upc]=00602445868162", headers=headers)
    assert album["id"] in [a["id"] for a in albums.get_json()["data"]]
    assert client.get("/sandbox/apple_music/api/catalog/USA/songs?filter[isrc]=X", headers=headers).status_code == 400


def test_the_stand_in_musickit_script(client):
    response = client.get("/sandbox/apple_music/musickit.js")
    script = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert "MusicKit" in script and "/musickit/authorize" in script


# --- admin API and mounting ----------------------------------------------

def test_reset_forgets_everything(app, client):
    body = tokens(client, "spotify")
    assert client.post("/sandbox/_admin/reset").get_json()["reset"] is True
    assert client.get("/sandbox/spotify/api/me", headers=bearer(body["access_token"])).status_code == 401
    with app.app_context():
        assert not list(state._r().scan_iter("sandbox:*"))


def test_state_helpers_are_callable_directly(app):
    with app.app_context():
        item = state.add_catalog_item("spotify", isrc="US-AAA-26-00001", title="Helper")
        assert state.find_catalog("spotify", isrc="USAAA2600001")[-1] == item
        assert state.set_faults("spotify", latency_ms=5)["latency_ms"] == 5
        state.clear_faults("spotify")
        assert state.faults("spotify")["latency_ms"] == 0


@pytest.mark.parametrize("env, mounted", [
    ({"PRESAVE_ENV": "production"}, False),
    ({"SANDBOX_ENABLED": "false"}, False),
    ({}, True),
])
def test_the_sandbox_is_mounted_only_outside_production(env, mounted, tmp_path):
    import os
    import subprocess
    import sys

    script = ("from app.sandbox import register_sandbox; from config import Config; from flask import Flask;"
              "a = Flask('x'); a.config.from_object(Config); register_sandbox(a);"
              "print(any(r.rule.startswith('/sandbox/') for r in a.url_map.iter_rules()))")
    environment = {**os.environ, "INSTANCE_PATH": str(tmp_path), "PRESAVE_ENV": "", "SANDBOX_ENABLED": "", **env}
    out = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert out.stdout.strip() == str(mounted), out.stderr
