"""Which client, credentials and endpoints serve a label on a platform, and in which mode.

- ``direct``: the label's own credentials (PlatformCredential), else the
  instance-wide ones from the environment → the real endpoints (except the
  sandbox's own app, which stays on the sandbox while it is on); with neither
  and SANDBOX_ENABLED → the built-in sandbox (the client's ``sandbox`` is True,
  for the page's badge).
- ``remind``: no usable credentials and no sandbox: the fan leaves an email or
  phone and gets the link on release day.
- ``link``: link-only platforms (SoundCloud, Pandora, ...): links, no account.

Sandbox calls go through httpx.WSGITransport into this very Flask app unless
SANDBOX_IN_PROCESS is off: the sandbox is served by the app that calls it, and a
single-threaded server (the dev server, one sync gunicorn worker) calling itself
over HTTP would wait for itself forever. The release-day worker of a later issue
runs outside any web process and may use real HTTP.
"""
import logging
from dataclasses import dataclass
from functools import cache

import httpx
from flask import current_app
from sqlalchemy import select
from werkzeug.utils import import_string

from app.crypto import DecryptError, keyring
from app.extensions import db
from app.models import PlatformCredential
from app.platform_table import PLATFORM_KEYS, Endpoints, descriptor, sandbox_endpoints
from app.platforms.base import Credentials, Platform
from app.platforms.errors import NotSupported
from app.tenants.context import Scope, scoped

log = logging.getLogger(__name__)

# How a platform runs for a label: save into the library, remind the fan, or links only.
DIRECT, REMIND, LINK = "direct", "remind", "link"
MODES = (DIRECT, REMIND, LINK)


def fan_mode(mode, in_app_browser):
    """The mode a fan gets: an in-app browser cannot finish a platform's sign-in, so a direct
    platform reminds there instead."""
    return REMIND if mode == DIRECT and in_app_browser else mode


@cache
def client_class(key) -> type[Platform] | None:
    """The client the descriptor names, or None for a link-only platform."""
    found = descriptor(key)
    return import_string(found.client) if found and found.client else None


def following_platforms() -> list[str]:
    """The platforms whose client can follow an artist for a fan, in the table's order."""
    return [key for key in PLATFORM_KEYS if client_class(key).follows]


@dataclass(frozen=True)
class Resolved:
    key: str
    mode: str
    sandbox: bool = False
    credentials: Credentials | None = None
    endpoints: Endpoints | None = None
    own: bool = False  # the label's own credentials (not the instance's or the sandbox's)


def resolve(label_id: int, key: str, stored: dict | None = None) -> Resolved:
    """How ``label_id`` runs ``key``; ``stored`` is label_credentials(label_id) if at hand."""
    client = client_class(key)
    if client is None:
        return Resolved(key, LINK)
    stored = label_credentials(label_id) if stored is None else stored
    config = current_app.config
    for own, credentials in ((True, stored.get(key)), (False, client.instance_credentials(config))):
        if complete(key, credentials):
            endpoints = endpoints_for(key, credentials)
            return Resolved(key, DIRECT, endpoints.sandbox, credentials, endpoints, own)
    if config.get("SANDBOX_ENABLED", False):
        return Resolved(key, DIRECT, True, client.sandbox_credentials(config),
                        sandbox_endpoints(key, config["PUBLIC_BASE_URL"]))
    return Resolved(key, REMIND)


def mode_for(label_id: int, key: str) -> str:
    return resolve(label_id, key).mode


def modes_for(label_id: int) -> dict[str, str]:
    stored = label_credentials(label_id)
    return {key: resolve(label_id, key, stored).mode for key in PLATFORM_KEYS}


def platform_for(label_id: int, key: str, transport: httpx.BaseTransport | None = None,
                 setup: Resolved | None = None) -> Platform:
    """The client for this label; raises NotSupported when the mode is not ``direct``."""
    setup = setup or resolve(label_id, key)
    if setup.mode != DIRECT:
        raise NotSupported(f"{key} runs in {setup.mode} mode for this label", code=setup.mode)
    return _build(key, setup.endpoints, setup.credentials, transport)


def endpoints_for(key, credentials) -> Endpoints:
    """Where credentials are used: the real platform, or the sandbox for the sandbox's own app
    (its client id, which the real platform would refuse) while the sandbox is on."""
    config = current_app.config
    if config.get("SANDBOX_ENABLED", False) and credentials.client_id == \
            client_class(key).sandbox_credentials(config).client_id:
        return sandbox_endpoints(key, config["PUBLIC_BASE_URL"])
    return descriptor(key).endpoints


def client_with(key, credentials, transport=None) -> Platform:
    """The client for exactly these credentials (a stored row under test, say)."""
    return _build(key, endpoints_for(key, credentials), credentials, transport)


def _build(key, endpoints, credentials, transport):
    client = client_class(key)
    return client(endpoints, credentials, transport=transport or transport_for(endpoints),
                  **client.options(current_app.config))


def transport_for(endpoints) -> httpx.BaseTransport | None:
    if endpoints.sandbox and current_app.config.get("SANDBOX_IN_PROCESS", True):
        return httpx.WSGITransport(app=current_app._get_current_object())
    return None  # httpx's own connection pool


def complete(key, credentials) -> bool:
    return credentials is not None and all(
        getattr(credentials, field) for field in descriptor(key).required)


def label_credentials(label_id) -> dict[str, Credentials]:
    """The label's own credentials per platform, opened; unreadable secrets count as absent."""
    with scoped(Scope.label(label_id)):
        rows = db.session.scalars(select(PlatformCredential).where(
            PlatformCredential.label_id == label_id)).all()
        return {row.platform: opened(row) for row in rows}


def opened(row) -> Credentials:
    """A stored PlatformCredential's values, opened; unreadable secrets count as absent."""
    ring = keyring()
    try:
        return Credentials(row.client_id, row.client_secret(ring), row.extra(ring),
                           row.user_limit)
    except DecryptError:
        log.warning("label %s: stored %s credentials cannot be opened with TOKEN_KEYS",
                    row.label_id, row.platform)
        return Credentials(row.client_id, user_limit=row.user_limit)
