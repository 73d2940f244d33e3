"""Which client, credentials and endpoints serve a label on a platform, and in which mode.

- ``direct``: the label's own credentials (PlatformCredential), else the
  instance-wide ones from the environment → the real endpoints; with neither
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
from urllib.parse import urlsplit

import httpx
from flask import current_app
from sqlalchemy import select

from app.crypto import DecryptError, keyring
from app.platforms import endpoints as endpoint_roots
from app.platforms.amazon_music import AmazonMusic
from app.platforms.apple_music import AppleMusic
from app.platforms.base import Credentials, Platform
from app.platforms.deezer import Deezer
from app.platforms.errors import NotSupported
from app.platforms.keys import (AMAZON_MUSIC, APPLE_MUSIC, DEEZER, PLATFORM_KEYS, SPOTIFY, TIDAL,
                                YOUTUBE_MUSIC)
from app.platforms.spotify import Spotify
from app.platforms.tidal import Tidal
from app.platforms.youtube_music import YouTubeMusic

log = logging.getLogger(__name__)

# How a platform runs for a label: save into the library, remind the fan, or links only.
DIRECT, REMIND, LINK = "direct", "remind", "link"
MODES = (DIRECT, REMIND, LINK)


def fan_mode(mode, in_app_browser):
    """The mode a fan gets: an in-app browser cannot finish a platform's sign-in, so a direct
    platform reminds there instead."""
    return REMIND if mode == DIRECT and in_app_browser else mode


CLIENTS: dict[str, type[Platform]] = {
    SPOTIFY: Spotify, APPLE_MUSIC: AppleMusic, DEEZER: Deezer, TIDAL: Tidal,
    YOUTUBE_MUSIC: YouTubeMusic, AMAZON_MUSIC: AmazonMusic,
}
# Instance-wide fallback: config names of (client_id, client_secret, extra).
FALLBACK = {
    SPOTIFY: ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", None),
    TIDAL: ("TIDAL_CLIENT_ID", "TIDAL_CLIENT_SECRET", None),
    DEEZER: ("DEEZER_APP_ID", "DEEZER_SECRET", None),
    YOUTUBE_MUSIC: ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET", "GOOGLE_API_KEY"),
    AMAZON_MUSIC: ("AMAZON_CLIENT_ID", "AMAZON_CLIENT_SECRET", "AMAZON_API_KEY"),
}
# What a platform cannot work without (Apple: team/key ids and the .p8; Amazon: x-api-key).
REQUIRED = {APPLE_MUSIC: ("client_id", "extra"),
            AMAZON_MUSIC: ("client_id", "client_secret", "extra")}
REQUIRED_DEFAULT = ("client_id", "client_secret")

SANDBOX_APPLE_TEAM_ID, SANDBOX_APPLE_KEY_ID = "PRESAVESBX", "SANDBOXKEY"


@dataclass(frozen=True)
class Resolved:
    key: str
    mode: str
    sandbox: bool = False
    credentials: Credentials | None = None
    endpoints: endpoint_roots.Endpoints | None = None


def resolve(label_id: int, key: str, stored: dict | None = None) -> Resolved:
    """How ``label_id`` runs ``key``; ``stored`` is label_credentials(label_id) if at hand."""
    if key not in CLIENTS:
        return Resolved(key, LINK)
    stored = label_credentials(label_id) if stored is None else stored
    for credentials in (stored.get(key), instance_credentials(key)):
        if complete(key, credentials):
            return Resolved(key, DIRECT, False, credentials, endpoint_roots.REAL[key])
    if current_app.config.get("SANDBOX_ENABLED", False):
        base_url = current_app.config["PUBLIC_BASE_URL"]
        return Resolved(key, DIRECT, True, sandbox_credentials(key),
                     endpoint_roots.sandbox(key, base_url))
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
    config = current_app.config
    options = {}
    if key == APPLE_MUSIC:
        options = {"storefront": config.get("APPLE_STOREFRONT", "us"),
                   "origin": origin(config["PUBLIC_BASE_URL"])}
    return CLIENTS[key](setup.endpoints, setup.credentials,
                        transport=transport or transport_for(setup.endpoints), **options)


def transport_for(endpoints) -> httpx.BaseTransport | None:
    if endpoints.sandbox and current_app.config.get("SANDBOX_IN_PROCESS", True):
        return httpx.WSGITransport(app=current_app._get_current_object())
    return None  # httpx's own connection pool


def complete(key, credentials) -> bool:
    return credentials is not None and all(
        getattr(credentials, field) for field in REQUIRED.get(key, REQUIRED_DEFAULT))


def label_credentials(label_id) -> dict[str, Credentials]:
    """The label's own credentials per platform, opened; unreadable secrets count as absent."""
    from app.models import PlatformCredential
    from app.extensions import db
    from app.tenants.context import Scope, scoped

    with scoped(Scope.label(label_id)):
        rows = db.session.scalars(select(PlatformCredential).where(
            PlatformCredential.label_id == label_id)).all()
        return {row.platform: _open(row) for row in rows}


def _open(row) -> Credentials:
    ring = keyring()
    try:
        return Credentials(row.client_id, row.client_secret(ring), row.extra(ring))
    except DecryptError:
        log.warning("label %s: stored %s credentials cannot be opened with TOKEN_KEYS",
                    row.label_id, row.platform)
        return Credentials(row.client_id)


def instance_credentials(key) -> Credentials | None:
    config = current_app.config
    if key == APPLE_MUSIC:
        team, key_id = config.get("APPLE_TEAM_ID"), config.get("APPLE_KEY_ID")
        return Credentials(f"{team}/{key_id}" if team and key_id else None,
                           extra=config.get("APPLE_PRIVATE_KEY"))
    names = FALLBACK[key]
    return Credentials(*(config.get(name) if name else None for name in names))


def sandbox_credentials(key) -> Credentials:
    """What the sandbox accepts: a fixed app per platform, and the instance's Apple key."""
    if key == APPLE_MUSIC:
        return Credentials(f"{SANDBOX_APPLE_TEAM_ID}/{SANDBOX_APPLE_KEY_ID}",
                           extra=current_app.config["APPLE_SANDBOX_PRIVATE_KEY"])
    return Credentials(f"presave-sandbox-{key}", "sandbox-secret",
                       "sandbox-api-key" if key in (AMAZON_MUSIC, YOUTUBE_MUSIC) else None)


def origin(url) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
