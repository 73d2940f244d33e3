"""Platform clients against the built-in sandbox (in-process), and the registry's modes."""
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from app.crypto import keyring
from app.extensions import db
from app.models import Label, PlatformCredential
from app.platforms import registry
from app.platforms.errors import NotSupported
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


NO_INSTANCE_CREDENTIALS = {name: None for names in registry.FALLBACK.values()
                           for name in names if name}
NO_INSTANCE_CREDENTIALS.update(APPLE_TEAM_ID=None, APPLE_KEY_ID=None, APPLE_PRIVATE_KEY=None)


@pytest.fixture
def harbor(app):
    with app.app_context(), scoped(Scope.platform()):
        return db.session.scalars(select(Label.id).where(Label.slug == "harbor-lights")).one()


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
        for key in registry.CLIENTS:
            with registry.platform_for(harbor, key) as client:
                assert client.sandbox
                assert client.endpoints.api.startswith(
                    app.config["PUBLIC_BASE_URL"] + f"/sandbox/{key}/")
                assert client.transport is not None  # in-process WSGI
        with config(app, SANDBOX_IN_PROCESS=False):
            with registry.platform_for(harbor, "tidal") as tidal:
                assert tidal.transport is None
