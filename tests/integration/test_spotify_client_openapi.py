"""The real Spotify client on the in-process sandbox, every exchange checked.

A recording transport keeps each request the client sends and the answer it
gets. Web API exchanges are validated with openapi-core against Spotify's
OpenAPI description (as if sent to https://api.spotify.com/v1); the accounts
service (/authorize, /api/token) is not in that description, so its shape is
checked against PLATFORM_APIS.md section 1.1 with plain asserts.
"""
import base64
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from flask import current_app
from werkzeug.wrappers import Response

from app.platforms import registry
from app.platforms.errors import GrantRevoked, RateLimited, TokenRejected
from app.platforms.oauth import APP_TOKENS, code_challenge, new_code_verifier
from app.sandbox import ids, state
from tests.platform_sandbox import REDIRECT, authorise, faults, query
from tests.spotify_openapi import MARKS, SANDBOX_ROOT, real_request, validate

pytestmark = MARKS

TOKEN_PATH = "/sandbox/spotify/token"
# grant_type -> form fields the client must send, fields a 200 answer must hold
TOKEN_FORM = {"authorization_code": {"code", "redirect_uri", "code_verifier"},
              "refresh_token": {"refresh_token"}, "client_credentials": set()}
TOKEN_ANSWER = {"authorization_code": {"access_token", "token_type", "scope", "expires_in", "refresh_token"},
                "refresh_token": {"access_token", "token_type", "scope", "expires_in"},
                "client_credentials": {"access_token", "token_type", "expires_in"}}


class Recorder(httpx.BaseTransport):
    """Hands each request to the in-process transport and keeps (request, response)."""

    def __init__(self, inner):
        self.inner = inner
        self.exchanges = []

    def handle_request(self, request):
        request.read()
        response = self.inner.handle_request(request)
        response.read()
        self.exchanges.append((request, response))
        return response

    def close(self):
        self.inner.close()


@pytest.fixture
def spotify(sandbox, harbor):  # noqa: F811
    """(the registry's Spotify client with a recording in-process transport, the recorder, admin)."""
    open_client, admin = sandbox
    recorder = Recorder(registry.transport_for(registry.resolve(harbor, "spotify").endpoints))
    client = open_client("spotify", transport=recorder)
    # App tokens are cached per process: forget one an earlier test left, so the grant is seen.
    APP_TOKENS.drop(client._app_token_key())
    return client, recorder, admin


def checked(spec, recorder):  # noqa: F811
    """Check every exchange so far; a (method, path) per exchange, the token endpoint's
    as ("POST", "/api/token <grant_type>")."""
    seen = []
    for request, response in recorder.exchanges:
        if request.url.path == TOKEN_PATH:
            seen.append(("POST", "/api/token " + check_token_exchange(request, response)))
            continue
        validate(spec, as_real_request(request), as_werkzeug(response))
        seen.append((request.method, request.url.path[len(SANDBOX_ROOT):]))
    return seen


def as_real_request(request):
    return real_request(request.method, request.url.path, request.url.query.decode(),
                        request.headers.items(), request.content)


def as_werkzeug(response):
    return Response(response.content, status=response.status_code,
                    headers=list(response.headers.items()))


def check_token_exchange(request, response):
    """PLATFORM_APIS.md 1.1: a form POST with Basic client auth; the answer's fields."""
    client = registry.client_class("spotify").sandbox_credentials(current_app.config)
    basic = base64.b64encode(f"{client.client_id}:{client.client_secret}".encode()).decode()
    assert request.method == "POST"
    assert request.headers["Content-Type"].split(";")[0] == "application/x-www-form-urlencoded"
    assert request.headers["Authorization"] == f"Basic {basic}"
    form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
    grant_type = form.pop("grant_type")
    assert set(form) - {"client_id"} == TOKEN_FORM[grant_type]
    body = response.json()
    if response.status_code != 200:  # RFC 6749 errors (PLATFORM_APIS.md 1.4)
        assert set(body) == {"error", "error_description"}
        return grant_type
    assert TOKEN_ANSWER[grant_type] <= set(body) <= TOKEN_ANSWER[grant_type] | {"refresh_token"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    if grant_type == "client_credentials":
        assert "refresh_token" not in body
    return grant_type


def spotify_ids(count):
    return [ids.new_item_id("spotify") for _ in range(count)]


def test_the_authorization_url_asks_what_section_1_1_lists(spotify):
    client, recorder, _ = spotify
    verifier = new_code_verifier()
    url = client.authorization_url(REDIRECT, "state-9", code_challenge(verifier),
                                   client.scopes(follow=True))
    assert urlsplit(url)._replace(query="").geturl() == client.endpoints.authorize
    params = query(url)
    assert params == {"client_id": client.credentials.client_id, "response_type": "code",
                      "redirect_uri": REDIRECT, "state": "state-9",
                      "scope": "user-library-modify user-follow-modify",
                      "code_challenge_method": "S256", "code_challenge": code_challenge(verifier)}
    assert recorder.exchanges == []  # only a link for the fan's browser


def test_exchange_identity_and_rotating_refresh(spotify, app, spec):  # noqa: F811
    client, recorder, _ = spotify
    user = ids.new_user_id("spotify")
    first = authorise(app, client, user)
    assert client.identity(first.access_token) == user
    rotated = client.refresh(first.refresh_token)
    assert client.identity(rotated.access_token) == user
    with pytest.raises(GrantRevoked):
        client.refresh(first.refresh_token)  # PKCE refresh tokens are single use
    assert checked(spec, recorder) == [
        ("POST", "/api/token authorization_code"), ("GET", "/me"),
        ("POST", "/api/token refresh_token"), ("GET", "/me"), ("POST", "/api/token refresh_token")]


def test_saves_over_40_go_in_batches_and_follow_uses_the_library(spotify, app, spec):  # noqa: F811
    client, recorder, _ = spotify
    user = ids.new_user_id("spotify")
    tokens = authorise(app, client, user, follow=True)
    tracks, artist = spotify_ids(45), ids.new_item_id("spotify")
    client.save_items(tokens.access_token, tracks)
    client.follow_artist(tokens.access_token, artist)
    assert state.library("spotify", user) == tracks
    assert state.library("spotify", user, "artist") == [artist]
    puts = [request for request, _ in recorder.exchanges if request.method == "PUT"]
    assert [len(query(str(r.url))["uris"].split(",")) for r in puts] == [40, 5, 1]
    assert checked(spec, recorder)[1:] == [("PUT", "/me/library")] * 3


def test_albums_are_saved_as_album_uris_40_a_call(spotify, app, spec):  # noqa: F811
    client, recorder, _ = spotify
    user = ids.new_user_id("spotify")
    tokens = authorise(app, client, user)
    albums = spotify_ids(41)
    client.save_items(tokens.access_token, albums, "album")
    assert state.library("spotify", user, "album") == albums
    assert state.library("spotify", user) == []  # no track saved
    puts = [query(str(request.url))["uris"].split(",") for request, _ in recorder.exchanges
            if request.method == "PUT"]
    assert [len(uris) for uris in puts] == [40, 1]
    assert all(uri.startswith("spotify:album:") for uris in puts for uri in uris)
    assert checked(spec, recorder)[1:] == [("PUT", "/me/library")] * 2


def test_catalogue_look_ups_use_one_app_token(spotify, spec):  # noqa: F811
    client, recorder, _ = spotify
    track = state.add_catalog_item("spotify", id=ids.new_item_id("spotify"), isrc="GB-OAC-26-00001",
                                   title="Spec single", artist="Marlow Shore", release_date="2026-12-04")
    album = state.add_catalog_item("spotify", id=ids.new_item_id("spotify"), upc="00602445860012",
                                   title="Spec EP", kind="album")
    assert [(f.item_id, f.isrc) for f in client.find_by_isrc("GBOAC2600001")] == [
        (track["id"], "GBOAC2600001")]
    assert [(f.item_id, f.kind) for f in client.find_by_upc("602445860012")] == [(album["id"], "album")]
    assert checked(spec, recorder) == [("POST", "/api/token client_credentials"),
                                       ("GET", "/search"), ("GET", "/search")]
    granted = recorder.exchanges[0][1].json()["access_token"]
    assert {r.headers["Authorization"] for r, _ in recorder.exchanges[1:]} == {f"Bearer {granted}"}


def test_an_expired_token_and_a_429_are_answered_within_the_spec(spotify, app, spec):  # noqa: F811
    client, recorder, admin = spotify
    tokens = authorise(app, client, ids.new_user_id("spotify"))
    state.expire_tokens("spotify", access_token=tokens.access_token)
    with pytest.raises(TokenRejected) as expired:
        client.identity(tokens.access_token)
    assert expired.value.status == 401
    fresh = client.refresh(tokens.refresh_token)
    faults(admin, "spotify", rate_429=1, retry_after=17)
    with pytest.raises(RateLimited) as limited:
        client.save_items(fresh.access_token, spotify_ids(1))
    assert limited.value.retry_after == 17
    assert [r.status_code for _, r in recorder.exchanges] == [200, 401, 200, 429]
    assert recorder.exchanges[-1][1].headers["Retry-After"] == "17"
    assert checked(spec, recorder)[1:] == [("GET", "/me"), ("POST", "/api/token refresh_token"),
                                           ("PUT", "/me/library")]
