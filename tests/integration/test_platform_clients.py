"""Platform clients against the built-in sandbox (in-process), and the registry's modes."""
import logging
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from app.crypto import keyring
from app.extensions import db
from app.models import PlatformCredential
from app.platform_table import PLATFORM_KEYS
from app.platforms import registry
from app.platforms.errors import (GrantRevoked, ItemsRejected, NotSupported, QuotaExceeded,
                                  RateLimited, TokenRejected, TransientError,
                                  seconds_to_pacific_midnight)
from app.platforms.oauth import code_challenge, new_code_verifier
from app.sandbox.ids import new_user_id
from app.tenants.context import Scope, scoped
from tests.platform_sandbox import (NO_INSTANCE_CREDENTIALS, REDIRECT, authorise, catalog, config,
                                    faults, query, saved)


@pytest.fixture
def label_credential(app, harbor):
    """store(platform, client_id, secret, extra) for Harbor; removed afterwards."""
    made = []

    def store(platform, client_id, secret=None, extra=None):
        with scoped(Scope.label(harbor)):
            row = PlatformCredential(label_id=harbor, platform=platform, client_id=client_id)
            if secret:
                row.set_client_secret(keyring(), secret)
            if extra:
                row.set_extra(keyring(), extra)
            db.session.add(row)
            db.session.commit()
            made.append(row.id)
    yield store
    with app.app_context(), scoped(Scope.label(harbor)):
        for row in db.session.scalars(select(PlatformCredential).where(
                PlatformCredential.id.in_(made))):
            db.session.delete(row)
        db.session.commit()


def test_without_credentials_or_sandbox_every_platform_reminds(app, harbor):
    with app.app_context(), config(app, NO_INSTANCE_CREDENTIALS, SANDBOX_ENABLED=False):
        assert set(registry.modes_for(harbor).values()) == {registry.REMIND}
        assert registry.mode_for(harbor, "soundcloud") == registry.LINK
        with pytest.raises(NotSupported):
            registry.platform_for(harbor, "spotify")


def test_instance_credentials_go_direct_to_the_real_endpoints(app, harbor):
    with app.app_context(), config(app, NO_INSTANCE_CREDENTIALS, SANDBOX_ENABLED=False,
                                   SPOTIFY_CLIENT_ID="sp-id", SPOTIFY_CLIENT_SECRET="sp-secret",
                                   AMAZON_CLIENT_ID="amz", AMAZON_CLIENT_SECRET="amz-secret"):
        modes = registry.modes_for(harbor)
        assert modes["spotify"] == registry.DIRECT
        assert modes["amazon_music"] == registry.REMIND  # no AMAZON_API_KEY
        assert modes["apple_music"] == registry.REMIND  # no APPLE_*
        with registry.platform_for(harbor, "spotify") as spotify:
            assert not spotify.sandbox and spotify.transport is None
            assert spotify.endpoints.api == "https://api.spotify.com/v1"
            assert spotify.credentials.client_id == "sp-id"


def test_a_labels_own_credentials_win(app, harbor, label_credential):
    with app.app_context(), config(app, SANDBOX_ENABLED=True, SPOTIFY_CLIENT_ID="instance-id",
                                   SPOTIFY_CLIENT_SECRET="instance-secret"):
        label_credential("spotify", "harbor-id", "harbor-secret")
        label_credential("apple_music", "TEAM123456/KEY1234567",
                         extra=app.config["APPLE_SANDBOX_PRIVATE_KEY"])
        with registry.platform_for(harbor, "spotify") as spotify:
            assert (spotify.credentials.client_id, spotify.credentials.client_secret) == (
                "harbor-id", "harbor-secret")
            assert not spotify.sandbox
        with registry.platform_for(harbor, "apple_music") as apple:
            assert not apple.sandbox and apple.developer_token().count(".") == 2


def test_sandbox_mode_without_credentials(app, harbor):
    with app.app_context(), config(app, NO_INSTANCE_CREDENTIALS, SANDBOX_ENABLED=True):
        assert set(registry.modes_for(harbor).values()) == {registry.DIRECT}
        for key in PLATFORM_KEYS:
            with registry.platform_for(harbor, key) as client:
                assert client.sandbox
                assert client.endpoints.api.startswith(
                    app.config["PUBLIC_BASE_URL"] + f"/sandbox/{key}/")
                assert client.transport is not None  # in-process WSGI
        with config(app, SANDBOX_IN_PROCESS=False):
            with registry.platform_for(harbor, "tidal") as tidal:
                assert tidal.transport is None


def test_the_sandboxs_own_app_stored_by_a_label_stays_on_the_sandbox(app, harbor, label_credential):
    with app.app_context(), config(app, NO_INSTANCE_CREDENTIALS, SANDBOX_ENABLED=True):
        own = registry.client_class("spotify").sandbox_credentials(app.config)
        label_credential("spotify", own.client_id, "a-secret-of-the-labels")
        with registry.platform_for(harbor, "spotify") as spotify:
            assert spotify.sandbox and spotify.credentials.client_secret == "a-secret-of-the-labels"
        with config(app, SANDBOX_ENABLED=False):  # the real Spotify, which will refuse it
            with registry.platform_for(harbor, "spotify") as spotify:
                assert not spotify.sandbox


# -- against the sandbox ---------------------------------------------------------------

OAUTH_KEYS = ["spotify", "tidal", "youtube_music", "amazon_music", "deezer"]


def test_sandbox_authorize_urls(sandbox, app):
    open_client, _ = sandbox
    base = app.config["PUBLIC_BASE_URL"]
    for key in OAUTH_KEYS:
        client = open_client(key)
        verifier = new_code_verifier()
        url = client.authorization_url(REDIRECT, "s", code_challenge(verifier))
        assert url.startswith(f"{base}/sandbox/{key}/authorize?")
        params = query(url)
        if key == "deezer":
            assert params["perms"] == "basic_access,email,offline_access,manage_library"
            assert "code_challenge" not in params and params["app_id"]
        else:
            assert params["code_challenge"] == code_challenge(verifier)
            assert params["code_challenge_method"] == "S256"


@pytest.mark.parametrize("key", OAUTH_KEYS)
def test_grant_identity_and_save(sandbox, app, key):
    open_client, admin = sandbox
    client = open_client(key)
    user = new_user_id(key)
    item = catalog(admin, key, isrc="GBXYZ2600001", title="Tide", artist="Neon Tide",
                   **({"id": "4cOdK2wGLETKBW3PvgPWqT"} if key == "spotify" else {}))
    tokens = authorise(app, client, user)
    assert client.granted_write(tokens.scope), tokens.scope
    assert client.identity(tokens.access_token) == user
    if key == "tidal":
        assert tokens.account_id == user
    if key == "deezer":
        assert tokens.expires_at is None and tokens.refresh_token is None  # offline_access
    else:
        assert tokens.refresh_token and tokens.expires_at > datetime.now(timezone.utc)
    client.save_items(tokens.access_token, [item["id"]])
    assert (item["id"], "track") in saved(admin, key, user)


def test_refresh_with_and_without_rotation(sandbox, app):
    open_client, _ = sandbox
    spotify, tidal = open_client("spotify"), open_client("tidal")
    first = authorise(app, spotify, new_user_id("spotify"))
    rotated = spotify.refresh(first.refresh_token)  # a PKCE grant: single-use refresh tokens
    assert rotated.refresh_token and rotated.refresh_token != first.refresh_token
    assert rotated.access_token != first.access_token
    with pytest.raises(GrantRevoked):
        spotify.refresh(first.refresh_token)
    kept = tidal.refresh(authorise(app, tidal, new_user_id("tidal")).refresh_token)
    assert kept.refresh_token is None and kept.access_token  # keep the stored one


def test_revoked_grant(sandbox, app):
    open_client, admin = sandbox
    google = open_client("youtube_music")
    user = new_user_id("youtube_music")
    tokens = authorise(app, google, user)
    assert admin.post("/sandbox/_admin/youtube_music/tokens/revoke",
                      json={"user": user}).get_json()["revoked"] == 1
    with pytest.raises(TokenRejected) as rejected:  # the worker refreshes on a 401 ...
        google.identity(tokens.access_token)
    assert not rejected.value.revoked
    with pytest.raises(GrantRevoked) as caught:  # ... and the refresh says the grant is gone
        google.refresh(tokens.refresh_token)
    assert caught.value.revoked and caught.value.code == "invalid_grant"


def test_spotify_429_sets_retry_after(sandbox, app):
    open_client, admin = sandbox
    spotify = open_client("spotify")
    tokens = authorise(app, spotify, new_user_id("spotify"))
    faults(admin, "spotify", rate_429=1, retry_after=17)
    with pytest.raises(RateLimited) as caught:
        spotify.save_items(tokens.access_token, ["4cOdK2wGLETKBW3PvgPWqT"])
    assert caught.value.retry_after == 17 and caught.value.transient
    faults(admin, "spotify", rate_429=0, quota_exceeded=True, retry_after=60)
    with pytest.raises(QuotaExceeded):
        spotify.save_items(tokens.access_token, ["4cOdK2wGLETKBW3PvgPWqT"])


def test_server_errors_are_transient(sandbox, app):
    open_client, admin = sandbox
    tidal = open_client("tidal")
    tokens = authorise(app, tidal, new_user_id("tidal"))
    faults(admin, "tidal", rate_5xx=1)
    with pytest.raises(TransientError):
        tidal.identity(tokens.access_token)


def test_youtube_quota_exceeded_waits_for_midnight_pacific(sandbox, app):
    open_client, admin = sandbox
    google = open_client("youtube_music")
    tokens = authorise(app, google, new_user_id("youtube_music"))
    video = catalog(admin, "youtube_music", isrc="GBXYZ2600002")
    faults(admin, "youtube_music", quota_exceeded=True)
    with pytest.raises(QuotaExceeded) as caught:
        google.save_items(tokens.access_token, [video["id"]])
    assert caught.value.status == 403 and caught.value.code == "quotaExceeded"
    assert abs(caught.value.retry_after - seconds_to_pacific_midnight()) < 5


def test_deezer_errors_inside_200(sandbox, app):
    open_client, admin = sandbox
    deezer = open_client("deezer")
    user = new_user_id("deezer")
    tokens = authorise(app, deezer, user)
    known = catalog(admin, "deezer", isrc="GBXYZ2600003")
    with pytest.raises(ItemsRejected) as caught:
        deezer.save_items(tokens.access_token, [known["id"], "399999999"])
    assert caught.value.item_ids == ["399999999"] and caught.value.code == "800"
    assert (known["id"], "track") in saved(admin, "deezer", user)
    faults(admin, "deezer", rate_429=1)
    with pytest.raises(RateLimited) as limited:
        deezer.identity(tokens.access_token)
    assert limited.value.retry_after is None and limited.value.code == "4"
    faults(admin, "deezer", rate_429=0)
    admin.post("/sandbox/_admin/deezer/tokens/revoke", json={"user": user})
    with pytest.raises(GrantRevoked) as revoked:
        deezer.identity(tokens.access_token)
    assert revoked.value.code == "300"
    with pytest.raises(NotSupported):
        deezer.refresh("none")


def apple_user_token(app, apple, user):
    answer = app.test_client().post("/sandbox/apple_music/musickit/authorize", json={"user": user},
                                    headers={"Authorization": f"Bearer {apple.developer_token()}"})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["musicUserToken"]


def test_apple_202_with_an_unknown_id_is_detected(sandbox, app):
    open_client, admin = sandbox
    apple = open_client("apple_music")
    user = new_user_id("apple_music")
    tokens = apple.exchange_code(apple_user_token(app, apple, user))
    assert apple.identity(tokens.access_token).startswith("mut-")
    known = catalog(admin, "apple_music", isrc="GBXYZ2600004")
    with pytest.raises(ItemsRejected) as caught:
        apple.save_items(tokens.access_token, [known["id"], "199999999"])
    assert caught.value.item_ids == ["199999999"]
    assert saved(admin, "apple_music", user) == [(known["id"], "track")]
    admin.post("/sandbox/_admin/apple_music/tokens/revoke", json={"user": user})
    with pytest.raises(GrantRevoked):
        apple.save_items(tokens.access_token, [known["id"]])


@pytest.mark.parametrize("key", ["deezer", "apple_music", "spotify", "tidal"])
def test_find_by_isrc_and_upc(sandbox, key):
    open_client, admin = sandbox
    spotify_ids = iter(["1aBcDeFgHiJkLmNoPqRsTu", "2aBcDeFgHiJkLmNoPqRsTu"])

    def item_id():
        return {"id": next(spotify_ids)} if key == "spotify" else {}
    track = catalog(admin, key, isrc="GB-XYZ-26-00005", title="Harbour", artist="Marlow Shore",
                    release_date="2026-12-04", **item_id())
    album = catalog(admin, key, upc="00602445868162", title="Harbour EP", kind="album",
                    release_date="2026-12-04", **item_id())
    client = open_client(key)
    found = client.find_by_isrc("GBXYZ2600005")
    assert track["id"] in [f.item_id for f in found]
    hit = next(f for f in found if f.item_id == track["id"])
    assert (hit.kind, hit.title, hit.isrc) == ("track", "Harbour", "GBXYZ2600005")
    assert hit.url.startswith("https://")
    albums = client.find_by_upc("00602445868162")
    assert album["id"] in [a.item_id for a in albums]
    assert all(a.kind == "album" for a in albums)


@pytest.mark.parametrize("key", ["youtube_music", "amazon_music"])
def test_no_code_search_on_youtube_and_amazon(sandbox, key):
    open_client, _ = sandbox
    assert open_client(key).find_by_isrc("GBXYZ2600005") == []
    assert open_client(key).find_by_upc("00602445868162") == []


def test_api_keys_in_request_urls_never_reach_the_logs(sandbox, caplog):
    """Google's search takes the API key in the query string, as Deezer takes its tokens."""
    open_client, admin = sandbox
    catalog(admin, "youtube_music", isrc="GBXYZ2600009", title="Keyless", artist="Marlow Shore")
    caplog.set_level(logging.DEBUG)
    google = open_client("youtube_music")
    google.find_by_title("Keyless", "Marlow Shore")
    assert "search" in caplog.text  # the request was logged
    assert google.credentials.extra not in caplog.text and "key=[redacted]" in caplog.text
