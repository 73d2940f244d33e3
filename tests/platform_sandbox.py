"""Platform clients against the sandbox, for the Harbor Lights label: its id, a client in
sandbox mode with the instance's own credentials switched off, and the fan's OAuth round trip."""
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Label
from app.platform_table import TABLE
from app.platforms import registry
from app.platforms.oauth import code_challenge, new_code_verifier
from app.tenants.context import Scope, scoped


@contextmanager
def config(app, *bases, **values):
    for base in bases:
        values = {**base, **values}
    old = {key: app.config.get(key) for key in values}
    app.config.update(values)
    try:
        yield
    finally:
        app.config.update(old)


NO_INSTANCE_CREDENTIALS = {name: None for d in TABLE for name in d.settings if name}
NO_INSTANCE_CREDENTIALS.update(APPLE_TEAM_ID=None, APPLE_KEY_ID=None, APPLE_PRIVATE_KEY=None)


@pytest.fixture
def harbor(app):
    with app.app_context(), scoped(Scope.platform()):
        return db.session.scalars(select(Label.id).where(Label.slug == "harbor-lights")).one()


REDIRECT = "https://presave.test/s/callback"


@pytest.fixture
def sandbox(app, harbor):
    """(open(key, transport=None) -> client in sandbox mode, admin test client); faults cleared after."""
    admin = app.test_client()
    with app.app_context(), config(app, NO_INSTANCE_CREDENTIALS, SANDBOX_ENABLED=True,
                                   SANDBOX_IN_PROCESS=True):
        opened = []

        def open_client(key, transport=None):
            client = registry.platform_for(harbor, key, transport=transport)
            opened.append(client)
            assert client.sandbox
            return client
        yield open_client, admin
        for client in opened:
            admin.delete(f"/sandbox/_admin/{client.key}/faults")
            client.close()


def catalog(admin, key, **fields):
    response = admin.post(f"/sandbox/_admin/{key}/catalog", json=fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def saved(admin, key, user):
    return [(s["id"], s["kind"]) for s in
            admin.get(f"/sandbox/_admin/{key}/saves", query_string={"user": user}).get_json()["saves"]]


def faults(admin, key, **settings):
    assert admin.post(f"/sandbox/_admin/{key}/faults", json=settings).status_code == 200


def authorise(app, client, user, follow=False):
    """The fan's round trip: authorize page → agree → code → exchange. Returns the TokenSet."""
    verifier = new_code_verifier()
    url = client.authorization_url(REDIRECT, "state-1", code_challenge(verifier),
                                   client.scopes(follow=follow))
    parts = urlsplit(url)
    answer = app.test_client().post(f"{parts.path}?{parts.query}",
                                    data={"decision": "agree", "user": user})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    back = query(answer.headers["Location"])
    assert back["state"] == "state-1"
    return client.exchange_code(back["code"], REDIRECT, verifier)


def query(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


