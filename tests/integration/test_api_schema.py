"""Property-based tests of the REST API against its own OpenAPI description (Schemathesis),
as each role, each on a fresh database the run may change: no answer is a server error, and
every answer is what the description says."""
import os

import pytest
import schemathesis
from flask_migrate import upgrade
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from app import create_app
from app.cli.commands import sync_roles_and_permissions
from app.cli.demo import load_demo
from app.extensions import db
from tests.conftest import DEMO_PASSWORDS
from tests.support import fresh_database

ROLES = ["admin@presave.test", "owner@northwind.test", "staff@northwind.test",
         "artist@northwind.test"]
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", 8))  # per operation; `make fuzz`: 300


@pytest.fixture(scope="module", params=ROLES)
def role(request, app, tmp_path_factory):
    """(app on a fresh database with the demo data, this role's bearer headers)."""
    with fresh_database(app, tmp_path_factory.mktemp("schema")) as uri:
        fresh = create_app("config.TestConfig", REDIS_URL=app.config["REDIS_URL"],
                           SQLALCHEMY_DATABASE_URI=uri)
        yield from _ready(fresh, request.param)


def _ready(fresh, email):
    with fresh.app_context():
        upgrade()
        sync_roles_and_permissions()
        load_demo(echo=lambda *_: None, fans=0)
    login = fresh.test_client().post("/api/v1/security/login", json={
        "username": email, "password": DEMO_PASSWORDS[email], "provider": "db"})
    yield fresh, {"Authorization": f"Bearer {login.get_json()['access_token']}"}
    with fresh.app_context():
        db.engine.dispose()


def operations(fresh, headers):
    described = fresh.test_client().get("/api/v1/_openapi", headers=headers)
    assert described.status_code == 200, described.get_json()
    schema = schemathesis.openapi.from_dict(described.get_json()).exclude(
        path_regex=r"^/api/v1/security/|_openapi|/menu/")
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_answers_as_it_describes_itself(role, mode):
    fresh, headers = role
    tried = 0
    for operation in operations(fresh, headers):
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def answers_as_described(case):
            # The in-process call hands over the body as sent, undecoded: ask for it plain
            # (compression has tests of its own, test_static_assets.py).
            case.call_and_validate(app=fresh, headers={**headers, "Accept-Encoding": "identity"},
                                   checks=[not_a_server_error, response_schema_conformance])
        answers_as_described()
        tried += 1
    assert tried >= 20  # every resource's list, show, _info and writes were tried
