"""The sandbox's Spotify answers, and the requests the tests send, against Spotify's OpenAPI description.

Each sandbox exchange is replayed as the same request to the real API root
(https://api.spotify.com/v1 + path) and checked with openapi-core.
"""
import uuid

import pytest
from openapi_schema_validator import OAS30Validator

from app.sandbox import state
from tests.sandbox_calls import admin, app_token, bearer, faults, tokens
from tests.spotify_openapi import MARKS, SANDBOX_ROOT, real_request, validate

pytestmark = MARKS


def as_real_request(response):
    """The request a test client's answer came from, as it would have gone to api.spotify.com."""
    sent = response.request
    return real_request(sent.method, sent.path, sent.query_string.decode(), sent.headers.items(),
                        sent.get_data())


def check(spec, response):
    validate(spec, as_real_request(response), response)


@pytest.fixture(autouse=True)
def no_faults_left(app):
    yield
    with app.app_context():
        state.clear_faults("spotify")


@pytest.fixture
def headers(client):
    return bearer(tokens(client, "spotify")["access_token"])


def test_me_matches_the_spec(client, spec, headers):
    response = client.get(f"{SANDBOX_ROOT}/me", headers=headers)
    assert response.status_code == 200 and "account_id" in response.get_json()
    check(spec, response)


def test_a_missing_token_answers_the_specs_401(client, spec):
    response = client.get(f"{SANDBOX_ROOT}/me", headers={"Authorization": "Bearer expired-or-unknown"})
    assert response.status_code == 401
    check(spec, response)


def test_library_save_and_contains_match_the_spec(client, spec, headers):
    uris = "spotify:track:7a3LWj5xSFhFRYmztS8wgK,spotify:album:4aawyAB9vmqN3uQ7FjRGTy"
    saved = client.put(f"{SANDBOX_ROOT}/me/library?uris={uris}", headers=headers)
    assert saved.status_code == 200
    check(spec, saved)
    contains = client.get(f"{SANDBOX_ROOT}/me/library/contains?uris={uris}", headers=headers)
    assert contains.get_json() == [True, True]
    check(spec, contains)


def test_a_bad_library_save_is_the_wrapped_error_object(client, spec, headers):
    from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest

    response = client.put(f"{SANDBOX_ROOT}/me/library?uris=spotify:track:nope", headers=headers)
    assert response.status_code == 400
    spec.validate_request(WerkzeugOpenAPIRequest(as_real_request(response)))
    error_schema = spec.spec / "components" / "schemas" / "ErrorObject"
    with error_schema.resolve() as resolved:
        OAS30Validator(resolved.contents).validate(response.get_json()["error"])
    assert set(response.get_json()) == {"error"}


@pytest.mark.parametrize("query, kind", [("isrc:{isrc}", "track"), ("upc:{upc}", "album")])
def test_search_results_match_the_spec(client, spec, headers, unique, query, kind):
    isrc, upc = "OA" + unique("")[-8:].upper() + "99", str(uuid.uuid4().int)[:12]
    admin(client, "spotify", "catalog", isrc=isrc, title="Spec track", release_date="2026-03-01")
    admin(client, "spotify", "catalog", upc=upc, title="Spec album")
    response = client.get(f"{SANDBOX_ROOT}/search?q={query.format(isrc=isrc, upc=upc)}&type={kind}&limit=10",
                          headers=headers)
    assert response.status_code == 200 and response.get_json()[kind + "s"]["total"] == 1
    check(spec, response)


def test_a_search_limit_over_10_breaks_the_spec_and_is_refused(client, spec, headers):
    from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest
    from openapi_core.validation.request.exceptions import RequestValidationError

    response = client.get(f"{SANDBOX_ROOT}/search?q=isrc:X&type=track&limit=11", headers=headers)
    assert response.status_code == 400
    with pytest.raises(RequestValidationError):
        spec.validate_request(WerkzeugOpenAPIRequest(as_real_request(response)))


@pytest.mark.parametrize("settings", [{"rate_429": 1, "retry_after": 2}, {"quota_exceeded": True}])
def test_429_answers_match_the_spec(client, spec, headers, settings):
    faults(client, "spotify", **settings)
    response = client.get(f"{SANDBOX_ROOT}/me", headers=headers)
    assert response.status_code == 429 and response.headers["Retry-After"]
    check(spec, response)


def test_an_app_token_searches_within_the_spec(client, spec):
    headers = bearer(app_token(client, "spotify"))
    found = client.get(f"{SANDBOX_ROOT}/search?q=isrc:OAAPP0000001&type=track", headers=headers)
    assert found.status_code == 200
    check(spec, found)
    refused = client.get(f"{SANDBOX_ROOT}/me", headers=headers)
    assert refused.status_code == 401  # the spec's Unauthorized: a user must authorise
    check(spec, refused)
