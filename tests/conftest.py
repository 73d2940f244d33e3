"""Fixtures: one app per test session on a real database and a real Redis.

DATABASE_URL and REDIS_URL pick real servers; otherwise a SQLite file and an
embedded Redis in a temporary instance folder. Each run claims its own Redis
database number so concurrent runs never see each other's keys.
"""
import os
import shutil
import tempfile
import threading
import uuid
from pathlib import Path

import pytest
from werkzeug.serving import make_server

_INSTANCE = Path(tempfile.mkdtemp(prefix="presave-test-"))
os.environ["INSTANCE_PATH"] = str(_INSTANCE)
os.environ.setdefault("PUBLIC_BASE_URL", "http://presave.test")

from tests.worker_databases import worker_database  # noqa: E402

# Under pytest-xdist each worker process has its own instance folder (above), Redis database
# and, on PostgreSQL, schema: "presave_ci" becomes "presave_ci_gw0", "presave_ci_gw1", ...
# Before anything imports the app's settings.
if os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = worker_database(os.environ["DATABASE_URL"],
                                                 os.environ["PYTEST_XDIST_WORKER"])

from tests.support import claim_redis_db, reset_database  # noqa: E402

# The shared fixtures' modules, so no test module has to import a fixture by name.
pytest_plugins = ["tests.fan_journey", "tests.lifecycle", "tests.stream_pages", "tests.ledger_rows",
                  "tests.smtp_server", "tests.invitations", "tests.spotify_openapi", "tests.platform_sandbox",
                  "tests.release_day_runs", "tests.e2e.served_clock", "tests.own_label"]

DEMO_PASSWORDS = {
    "admin@presave.test": "demo-admin",
    "owner@northwind.test": "demo-owner",
    "staff@northwind.test": "demo-staff",
    "artist@northwind.test": "demo-artist",
    "staff@harbor.test": "demo-staff",
}


@pytest.fixture(scope="session")
def app():
    from app import create_app

    redis_url, release_redis = claim_redis_db(os.environ.get("REDIS_URL"), _INSTANCE)
    app = create_app("config.TestConfig", REDIS_URL=redis_url)
    with app.app_context():
        reset_database(app)
        from app.cli.commands import sync_roles_and_permissions
        from app.cli.demo import load_demo

        sync_roles_and_permissions()
        load_demo(echo=lambda *_: None, fans=0)  # the cast only: tests bring their own fans
    yield app
    release_redis()
    shutil.rmtree(_INSTANCE, ignore_errors=True)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(app):
    """login(email) -> a test client with that demo user's session."""
    def _login(email, password=None):
        c = app.test_client()
        response = c.post("/login/", data={"username": email,
                                           "password": password or DEMO_PASSWORDS[email]})
        assert response.status_code == 302, f"login failed for {email}"
        return c
    return _login


@pytest.fixture
def api(app):
    """api(email) -> (client, headers) with a JWT from /api/v1/security/login."""
    def _api(email, password=None):
        c = app.test_client()
        response = c.post("/api/v1/security/login", json={
            "username": email, "password": password or DEMO_PASSWORDS[email], "provider": "db"})
        assert response.status_code == 200, response.get_json()
        return c, {"Authorization": f"Bearer {response.get_json()['access_token']}"}
    return _api


@pytest.fixture
def unique():
    return lambda prefix="t": f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def live_server(app):
    """The base URL of the session app, served by werkzeug in a background thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def served_here(app, live_server, monkeypatch):
    """Absolute URLs (OAuth redirects, the sandbox, its MusicKit stand-in) name the live
    server, as in a deployment; page setups cached with the old base URL are dropped."""
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", live_server)
    from app.views.public.setup import forget_setups

    with app.app_context():
        forget_setups()
    return live_server
