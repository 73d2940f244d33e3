"""Platform clients without a server: URL building, and the mapping of each platform's
own HTTP answers (canned through httpx.MockTransport) to our errors and values."""
import logging
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from app.platform_table import descriptor
from app.platforms.amazon_music import AmazonMusic
from app.platforms.apple_music import MAX_TOKEN_LIFETIME, AppleMusic, developer_token
from app.platforms.base import Credentials
from app.platforms.deezer import Deezer
from app.platforms.errors import (GrantRevoked, ItemsRejected, NotSupported, QuotaExceeded,
                                  RateLimited, TokenRejected, TransientError, retry_after,
                                  seconds_to_pacific_midnight)
from app.platforms.oauth import code_challenge, new_code_verifier
from app.platforms.spotify import Spotify
from app.platforms.tidal import Tidal, idempotency_key
from app.platforms.youtube_music import YouTubeMusic

CREDS = Credentials("client-1", "secret-1", "extra-1")


class Canned:
    """A MockTransport answering by (method, path); records every request."""

    def __init__(self, routes):
        self.routes, self.requests = routes, []
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request):
        self.requests.append(request)
        answer = self.routes[(request.method, request.url.path)]
        return answer(request) if callable(answer) else answer


def client(cls, routes, credentials=CREDS, **kwargs):
    canned = Canned(routes)
    return cls(descriptor(cls.key).endpoints, credentials, transport=canned.transport, **kwargs), canned


def query(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(str(url)).query).items()}


# -- authorisation URLs --------------------------------------------------------------


@pytest.mark.parametrize("cls", [Spotify, Tidal, YouTubeMusic, AmazonMusic])
def test_oauth_platforms_send_pkce_s256(cls):
    verifier = new_code_verifier()
    url = cls(descriptor(cls.key).endpoints, CREDS).authorization_url(
        "https://presave.test/cb", "state-1", code_challenge(verifier))
    params = query(url)
    assert url.startswith(descriptor(cls.key).endpoints.authorize + "?")
    assert params["client_id"] == "client-1" and params["response_type"] == "code"
    assert params["redirect_uri"] == "https://presave.test/cb" and params["state"] == "state-1"
    assert params["code_challenge_method"] == "S256"
    assert params["code_challenge"] == code_challenge(verifier) != verifier
    assert 43 <= len(verifier) <= 128


def test_scopes_per_platform():
    def scope_of(cls, follow=False):
        p = cls(descriptor(cls.key).endpoints, CREDS)
        return query(p.authorization_url("https://x.test/cb", "s", "c",
                                         p.scopes(follow=follow)))["scope"].split()

    assert scope_of(Spotify) == ["user-library-modify"]
    assert scope_of(Spotify, follow=True) == ["user-library-modify", "user-follow-modify"]
    assert set(scope_of(Tidal)) == {"user.read", "collection.write"}
    assert scope_of(YouTubeMusic) == ["https://www.googleapis.com/auth/youtube"]
    assert scope_of(AmazonMusic) == ["profile", "music::library"]


def test_google_asks_offline_access_with_consent():
    params = query(YouTubeMusic(descriptor("youtube_music").endpoints, CREDS).authorization_url(
        "https://x.test/cb", "s", "challenge"))
    assert params["access_type"] == "offline" and params["prompt"] == "consent"


def test_deezer_dialect_app_id_comma_perms_no_pkce():
    url = Deezer(descriptor("deezer").endpoints, CREDS).authorization_url(
        "https://x.test/cb", "s", "ignored-challenge")
    params = query(url)
    assert params == {"app_id": "client-1", "redirect_uri": "https://x.test/cb", "state": "s",
                      "perms": "basic_access,email,offline_access,manage_library"}


def test_apple_has_no_redirect_flow():
    apple = AppleMusic(descriptor("apple_music").endpoints, CREDS)
    with pytest.raises(NotSupported):
        apple.authorization_url("https://x.test/cb", "s")
    assert apple.exchange_code("music-user-token", None).access_token == "music-user-token"


def test_granted_write_detects_a_grant_without_the_write_scope():
    def p(cls):
        return cls(descriptor(cls.key).endpoints, CREDS)

    assert p(Spotify).granted_write("user-library-read user-library-modify")
    assert not p(Spotify).granted_write("user-library-read")
    assert p(Tidal).granted_write("user.read collection.write")
    assert not p(Tidal).granted_write("user.read collection.read")
    assert p(Deezer).granted_write("basic_access,email,offline_access,manage_library")
    assert not p(Deezer).granted_write("basic_access,email")
    assert p(YouTubeMusic).granted_write("https://www.googleapis.com/auth/youtube.force-ssl")
    assert not p(YouTubeMusic).granted_write("https://www.googleapis.com/auth/youtube.readonly")
    assert not p(AmazonMusic).granted_write("profile")
    assert not p(Spotify).granted_write(None)


# -- token endpoint answers -------------------------------------------------------------


def token_answer(**body):
    return httpx.Response(200, json={"token_type": "Bearer", "expires_in": 3600, **body})


def test_exchange_code_posts_the_verifier_and_reads_the_token_set():
    spotify, canned = client(Spotify, {("POST", "/api/token"): token_answer(
        access_token="at-1", refresh_token="rt-1", scope="user-library-modify")})
    tokens = spotify.exchange_code("code-1", "https://x.test/cb", "verifier-1")
    form = parse_qs(canned.requests[0].content.decode())
    assert form["code"] == ["code-1"] and form["code_verifier"] == ["verifier-1"]
    assert form["grant_type"] == ["authorization_code"]
    assert canned.requests[0].headers["Authorization"].startswith("Basic ")
    assert (tokens.access_token, tokens.refresh_token, tokens.scope) == (
        "at-1", "rt-1", "user-library-modify")
    assert tokens.expires_at.tzinfo is not None
    assert 3500 < (tokens.expires_at - datetime.now(timezone.utc)).total_seconds() <= 3600
    assert "at-1" not in repr(tokens) and "rt-1" not in repr(tokens)


def test_tidal_token_answer_names_the_account():
    tidal, _ = client(Tidal, {("POST", "/v1/oauth2/token"): token_answer(
        access_token="at", refresh_token="rt", user_id=4711, scope="collection.write")})
    assert tidal.exchange_code("c", "https://x.test/cb", "v").account_id == "4711"


def test_refresh_reports_rotation_only_when_a_new_token_comes_back():
    answers = iter([token_answer(access_token="at-2"),
                    token_answer(access_token="at-3", refresh_token="rt-rotated")])
    spotify, _ = client(Spotify, {("POST", "/api/token"): lambda r: next(answers)})
    assert spotify.refresh("rt-1").refresh_token is None
    rotated = spotify.refresh("rt-1")
    assert (rotated.access_token, rotated.refresh_token) == ("at-3", "rt-rotated")


def test_invalid_grant_is_a_revoked_grant():
    google, _ = client(YouTubeMusic, {("POST", "/token"): httpx.Response(
        400, json={"error": "invalid_grant", "error_description": "Token has been expired"})})
    with pytest.raises(GrantRevoked) as caught:
        google.refresh("rt")
    assert caught.value.revoked and not caught.value.transient
    assert caught.value.code == "invalid_grant"


def test_token_endpoint_outage_is_transient():
    spotify, _ = client(Spotify, {("POST", "/api/token"): httpx.Response(503, text="down")})
    with pytest.raises(TransientError):
        spotify.refresh("rt")


def test_network_failure_is_transient():
    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    spotify, _ = client(Spotify, {("PUT", "/v1/me/library"): refuse,
                                  ("POST", "/api/token"): refuse})
    with pytest.raises(TransientError) as caught:
        spotify.save_items("at", ["a" * 22])
    assert caught.value.transient and caught.value.code == "network"
    with pytest.raises(TransientError):
        spotify.exchange_code("c", "https://x.test/cb", "v")


def test_deezer_token_answer_in_either_encoding_and_wrong_code():
    for answer in (httpx.Response(200, json={"access_token": "dz", "expires": 0}),
                   httpx.Response(200, text="access_token=dz&expires=0")):
        deezer, canned = client(Deezer, {("GET", "/oauth/access_token.php"): answer})
        tokens = deezer.exchange_code("code", "https://x.test/cb")
        assert tokens.access_token == "dz" and tokens.expires_at is None
        assert tokens.refresh_token is None
        assert query(canned.requests[0].url)["secret"] == "secret-1"
    deezer, _ = client(Deezer, {("GET", "/oauth/access_token.php"): httpx.Response(
        200, text="wrong code")})
    with pytest.raises(GrantRevoked):
        deezer.exchange_code("bad", "https://x.test/cb")
    with pytest.raises(NotSupported):
        deezer.refresh("anything")


# -- API answers ------------------------------------------------------------------------


def test_spotify_429_honours_retry_after():
    spotify, _ = client(Spotify, {("PUT", "/v1/me/library"): httpx.Response(
        429, headers={"Retry-After": "7"}, json={"error": {"status": 429, "message": "slow"}})})
    with pytest.raises(RateLimited) as caught:
        spotify.save_items("at", ["a" * 22])
    assert caught.value.retry_after == 7 and caught.value.transient
    assert not isinstance(caught.value, QuotaExceeded)


def test_spotify_dev_mode_quota():
    spotify, _ = client(Spotify, {("PUT", "/v1/me/library"): httpx.Response(
        429, headers={"Retry-After": "3600"}, json={"error": {
            "status": 429, "message": "Too many requests", "reason": "QUOTA_EXCEEDED"}})})
    with pytest.raises(QuotaExceeded) as caught:
        spotify.save_items("at", ["a" * 22])
    assert caught.value.retry_after == 3600


def test_spotify_expired_access_token_is_not_a_revoked_grant():
    spotify, _ = client(Spotify, {("GET", "/v1/me"): httpx.Response(
        401, json={"error": {"status": 401, "message": "The access token expired"}})})
    with pytest.raises(TokenRejected) as caught:
        spotify.identity("at")
    assert not caught.value.revoked


def test_spotify_saves_in_batches_of_40_uris():
    spotify, canned = client(Spotify, {("PUT", "/v1/me/library"): httpx.Response(200)})
    ids = [f"{n:022d}" for n in range(85)]
    spotify.save_items("at", ids)
    batches = [query(r.url)["uris"].split(",") for r in canned.requests]
    assert [len(b) for b in batches] == [40, 40, 5]
    assert batches[0][0] == f"spotify:track:{ids[0]}"


def test_spotify_identity_prefers_account_id():
    answers = {"with": {"id": "legacy", "account_id": "acc-1"}, "without": {"id": "legacy"}}
    spotify, _ = client(Spotify, {("GET", "/v1/me"): lambda r: httpx.Response(
        200, json=answers[r.headers["Authorization"].split()[1]])})
    assert spotify.identity("with") == "acc-1"
    assert spotify.identity("without") == "legacy"


def test_spotify_follow_falls_back_to_me_following():
    spotify, canned = client(Spotify, {
        ("PUT", "/v1/me/library"): httpx.Response(400, json={"error": {
            "status": 400, "message": "Unsupported URI type"}}),
        ("PUT", "/v1/me/following"): httpx.Response(204)})
    spotify.follow_artist("at", "b" * 22)
    assert query(canned.requests[0].url)["uris"] == "spotify:artist:" + "b" * 22
    assert query(canned.requests[1].url) == {"type": "artist", "ids": "b" * 22}


def test_youtube_quota_waits_for_midnight_pacific():
    google, _ = client(YouTubeMusic, {("POST", "/youtube/v3/videos/rate"): httpx.Response(
        403, json={"error": {"code": 403, "message": "quota", "errors": [
            {"message": "quota", "domain": "youtube.quota", "reason": "quotaExceeded"}]}})})
    with pytest.raises(QuotaExceeded) as caught:
        google.save_items("at", ["dQw4w9WgXcQ"])
    assert caught.value.transient and caught.value.status == 403
    assert abs(caught.value.retry_after - seconds_to_pacific_midnight()) < 5


def test_seconds_to_pacific_midnight():
    # 2026-07-01 12:00 UTC is 05:00 PDT: 19 hours to go.
    assert seconds_to_pacific_midnight(datetime(2026, 7, 1, 12, tzinfo=timezone.utc)) == 19 * 3600
    # 2026-01-15 07:30 UTC is 23:30 PST.
    assert seconds_to_pacific_midnight(datetime(2026, 1, 15, 7, 30, tzinfo=timezone.utc)) == 1800


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2026, 7, 1, 12, tzinfo=timezone.utc)
    assert retry_after(httpx.Response(429, headers={"Retry-After": "12"})) == 12
    dated = httpx.Response(429, headers={"Retry-After": "Wed, 01 Jul 2026 12:00:30 GMT"})
    assert retry_after(dated, now=now) == 30
    assert retry_after(httpx.Response(429)) is None
    assert retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None


def deezer_error(code, message="x", kind="Exception"):
    return httpx.Response(200, json={"error": {"type": kind, "message": message, "code": code}})


def test_deezer_errors_inside_http_200():
    cases = {4: RateLimited, 300: GrantRevoked, 700: TransientError}
    for code, error in cases.items():
        deezer, _ = client(Deezer, {("POST", "/user/me/tracks"): deezer_error(code)})
        with pytest.raises(error) as caught:
            deezer.save_items("at", ["1"])
        assert caught.value.status == 200 and caught.value.code == str(code)
        if code == 4:
            assert caught.value.retry_after is None  # Deezer gives no Retry-After


def test_deezer_saves_one_id_per_call_and_names_unknown_ones():
    def answer(request):
        return (deezer_error(800, "no data", "DataException") if query(request.url)["track_id"] == "9"
                else httpx.Response(200, json=True))

    deezer, canned = client(Deezer, {("POST", "/user/me/tracks"): answer})
    with pytest.raises(ItemsRejected) as caught:
        deezer.save_items("at", ["1", "9", "2"])
    assert caught.value.item_ids == ["9"]
    assert [query(r.url)["track_id"] for r in canned.requests] == ["1", "9", "2"]
    assert all(query(r.url)["access_token"] == "at" for r in canned.requests)


def test_deezer_lookup_not_found_is_empty():
    deezer, _ = client(Deezer, {("GET", "/track/isrc:USX9P0000001"): deezer_error(800)})
    assert deezer.find_by_isrc("USX9P0000001") == []


def test_tidal_adds_json_api_with_idempotency_key_and_reports_not_found():
    def answer(request):
        return httpx.Response(200, json={"data": [], "meta": {"skipped": [
            {"id": "2", "type": "tracks", "reason": "NOT_FOUND"},
            {"id": "1", "type": "tracks", "reason": "ALREADY_PRESENT"}]}})

    tidal, canned = client(Tidal, {
        ("POST", "/v2/userCollectionTracks/me/relationships/items"): answer})
    with pytest.raises(ItemsRejected) as caught:
        tidal.save_items("at", [str(n) for n in range(60)])
    assert caught.value.item_ids == ["2", "2"]  # the canned answer names it in both batches
    first, second = canned.requests
    assert first.headers["Content-Type"] == "application/vnd.api+json"
    assert len(httpx.Response(200, content=first.content).json()["data"]) == 50
    assert first.headers["Idempotency-Key"] != second.headers["Idempotency-Key"]
    # The same grant and items give the same key, so a retried save is replayed.
    assert idempotency_key("at", "r", ["1"]) == idempotency_key("at", "r", ["1"])


def test_tidal_duplicate_is_fine_and_in_progress_is_transient():
    answers = iter([
        httpx.Response(409, json={"errors": [{"status": "409", "code": "DUPLICATE_ITEMS_IN_COLLECTION"}]}),
        httpx.Response(409, json={"errors": [{"status": "409", "code": "IDEMPOTENT_REQUEST_IN_PROGRESS"}]}),
        httpx.Response(429, json={"errors": [{"status": "429", "detail": "Rate limit exceeded"}]})])
    tidal, _ = client(Tidal, {
        ("POST", "/v2/userCollectionTracks/me/relationships/items"): lambda r: next(answers)})
    tidal.save_items("at", ["1"])
    with pytest.raises(TransientError):
        tidal.save_items("at", ["1"])
    with pytest.raises(RateLimited) as caught:
        tidal.save_items("at", ["1"])
    assert caught.value.retry_after is None


# -- Apple --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def apple_key():
    return ECKey.generate_key("P-256").as_pem(private=True).decode()


def test_apple_developer_token_shape(apple_key):
    token = developer_token("TEAM123456", "KEY1234567", apple_key,
                            origins=("https://presave.test",), now=1_800_000_000)
    decoded = jwt.decode(token, ECKey.import_key(apple_key), algorithms=["ES256"])
    assert decoded.header["alg"] == "ES256" and decoded.header["kid"] == "KEY1234567"
    assert decoded.claims["iss"] == "TEAM123456" and decoded.claims["iat"] == 1_800_000_000
    assert 0 < decoded.claims["exp"] - decoded.claims["iat"] <= MAX_TOKEN_LIFETIME
    assert decoded.claims["origin"] == ["https://presave.test"]
    with pytest.raises(ValueError):
        developer_token("T", "K", apple_key, lifetime=MAX_TOKEN_LIFETIME + 1)


def test_apple_202_with_an_unknown_id_is_caught_by_the_catalogue_check(apple_key):
    apple, canned = client(AppleMusic, {
        ("POST", "/v1/me/library"): httpx.Response(202),
        ("GET", "/v1/me/storefront"): httpx.Response(200, json={"data": [{"id": "gb"}]}),
        ("GET", "/v1/catalog/gb/songs/111"): httpx.Response(200, json={"data": [{"id": "111"}]}),
        ("GET", "/v1/catalog/gb/songs/999"): httpx.Response(404, json={"errors": [
            {"status": "404", "code": "40400", "title": "Resource Not Found"}]}),
    }, credentials=Credentials("TEAM123456/KEY1234567", extra=apple_key))
    with pytest.raises(ItemsRejected) as caught:
        apple.save_items("mut", ["111", "999"])
    assert caught.value.item_ids == ["999"]
    post = canned.requests[0]
    assert query(post.url)["ids[songs]"] == "111,999"
    assert post.headers["Music-User-Token"] == "mut"
    assert post.headers["Authorization"].startswith("Bearer ey")


def test_apple_403_is_a_dead_music_user_token(apple_key):
    apple, _ = client(AppleMusic, {("GET", "/v1/me/storefront"): httpx.Response(403, json={
        "errors": [{"status": "403", "code": "40300", "title": "Forbidden",
                    "detail": "Invalid authentication"}]})},
        credentials=Credentials("TEAM123456/KEY1234567", extra=apple_key))
    with pytest.raises(GrantRevoked) as caught:
        apple.identity("mut")
    assert caught.value.code == "40300"


# -- secrets stay out of logs -----------------------------------------------------------


def test_httpx_log_lines_hide_query_tokens(caplog, monkeypatch):
    # Alembic's fileConfig disables existing loggers when the suite migrates; not here.
    monkeypatch.setattr(logging.getLogger("httpx"), "disabled", False)
    deezer, _ = client(Deezer, {("GET", "/user/me"): httpx.Response(200, json={"id": 5})})
    with caplog.at_level(logging.INFO, logger="httpx"):
        assert deezer.identity("very-secret-token") == "5"
    assert caplog.records and "very-secret-token" not in caplog.text
