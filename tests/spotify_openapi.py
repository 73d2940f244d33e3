"""Spotify's OpenAPI description for the tests: exchanges with the sandbox checked as
if they had gone to the real API root (https://api.spotify.com/v1 + path), with openapi-core.
"""
from pathlib import Path

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

SPEC = Path(__file__).resolve().parents[2] / "shared" / "platforms" / "spotify-openapi.yml"
SANDBOX_ROOT = "/sandbox/spotify/api"
REAL_ROOT = "https://api.spotify.com/v1"

MARKS = [
    pytest.mark.skipif(not SPEC.exists(), reason=f"Spotify's OpenAPI description is not at {SPEC}"),
    # openapi-core cannot check OAuth 2 security schemes; the sandbox tests check tokens.
    pytest.mark.filterwarnings("ignore:Unsupported scheme type:UserWarning"),
]


@pytest.fixture(scope="session")
def spec():
    from openapi_core import OpenAPI

    return OpenAPI.from_file_path(str(SPEC))


def real_request(method, path, query_string, headers, body):
    """A request the sandbox answered, as a werkzeug Request to api.spotify.com."""
    assert path.startswith(SANDBOX_ROOT + "/"), path
    builder = EnvironBuilder(method=method, base_url=REAL_ROOT, path=path[len(SANDBOX_ROOT):],
                             query_string=query_string,
                             headers=[(k, v) for k, v in headers if k.lower() != "host"],
                             data=body)
    return Request(builder.get_environ())


def validate(spec, request, response):
    """Both halves of an exchange (werkzeug objects) against the spec; raises on a mismatch."""
    from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse

    openapi_request = WerkzeugOpenAPIRequest(request)
    spec.validate_request(openapi_request)
    spec.validate_response(openapi_request, WerkzeugOpenAPIResponse(response))
