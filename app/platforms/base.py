"""The interface every streaming platform implements, and its small value types.

A platform client is built by app.platforms.registry.platform_for() from the
label's credentials and the endpoints (real or sandbox). Clients join the real
API paths onto ``endpoints.api``; everything platform-neutral (HTTP, error
mapping, OAuth) lives here and in app.platforms.http / app.platforms.oauth, so
each platform module holds only its dialect.
"""
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from datetime import date, datetime

import httpx

from app import metrics
from app.platform_table import Endpoints, descriptor, user_limit
from app.platforms.errors import (  # noqa: F401  (re-exported: the interface's errors)
    GrantRevoked, ItemsRejected, NotSupported, PlatformError, QuotaExceeded, RateLimited,
    TokenRejected, TransientError, classify, error_details, retry_after)
from app.platforms.http import Http


@dataclass(frozen=True)
class TokenSet:
    """What a token endpoint granted.

    ``refresh_token`` is None when the answer carried none (no rotation, or a
    platform without refresh): the caller keeps the refresh token it has.
    ``scope`` is what the platform said it granted ("" when it said nothing:
    keep the stored scope). ``account_id`` is set when the token answer names
    the account (TIDAL's user_id); otherwise call identity().
    """

    access_token: str
    refresh_token: str | None
    expires_at: datetime | None  # aware UTC; None: does not expire
    scope: str
    account_id: str | None = None

    def __repr__(self):  # tokens never reach logs through a repr
        return (f"TokenSet(expires_at={self.expires_at!r}, scope={self.scope!r}, "
                f"account_id={self.account_id!r}, refresh={'yes' if self.refresh_token else 'no'})")


@dataclass(frozen=True)
class CatalogItem:
    item_id: str
    url: str
    title: str
    artist: str
    release_date: date | None
    kind: str  # "track" or "album"
    isrc: str | None = None
    upc: str | None = None
    compilation: bool = False  # on a various-artists compilation


@dataclass(frozen=True)
class Credentials:
    """An app's credentials on one platform (a label's own, or the instance's).

    ``extra`` is the third secret some platforms need: Apple's .p8 private key
    (PEM), Amazon's x-api-key. Apple's ``client_id`` reads "TEAMID/KEYID". ``user_limit``: how
    many accounts the app may connect (Spotify's development mode); None, no limit.
    """

    client_id: str | None
    client_secret: str | None = None
    extra: str | None = None
    user_limit: int | None = None

    def __repr__(self):
        return f"Credentials(client_id={self.client_id!r})"


class Platform(ABC):
    key = ""  # its row in app.platform_table, where its name and endpoints are
    write_scopes: tuple[str, ...] = ()  # all needed to save into the library
    follow_scopes: tuple[str, ...] = ()  # added when the page also follows the artist
    base_scopes: tuple[str, ...] = ()  # always asked (identity)
    follows = False  # follow_artist() works (and the sandbox answers it): offered to fans
    scope_separator = " "

    def __init__(self, endpoints: Endpoints, credentials: Credentials,
                 transport: httpx.BaseTransport | None = None, timeout: float = 10.0):
        self.endpoints = endpoints
        self.credentials = credentials
        self.transport = transport
        self.timeout = timeout
        self.http = Http(self, transport=transport, timeout=timeout)

    @property
    def name(self) -> str:
        return descriptor(self.key).name

    # -- how the registry builds it ------------------------------------------

    @classmethod
    def instance_credentials(cls, config) -> Credentials:
        """The instance-wide credentials, from the settings the descriptor names."""
        found = descriptor(cls.key)
        credentials = Credentials(*(config.get(name) if name else None for name in found.settings))
        if found.quota_setting is None:
            return credentials
        return replace(credentials, user_limit=user_limit(cls.key, config.get(found.quota_setting)))

    @classmethod
    def sandbox_credentials(cls, config) -> Credentials:
        """What the sandbox accepts: a fixed app per platform."""
        settings = descriptor(cls.key).settings
        has_extra = len(settings) > 2 and settings[2] is not None
        return Credentials(f"presave-sandbox-{cls.key}", "sandbox-secret",
                           "sandbox-api-key" if has_extra else None)

    @classmethod
    def options(cls, config) -> dict:
        """Keyword arguments beyond endpoints and credentials, from the settings."""
        return {}

    @property
    def sandbox(self) -> bool:
        """True when this client talks to the built-in sandbox (the page shows a badge)."""
        return self.endpoints.sandbox

    def close(self):
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- scopes --------------------------------------------------------------

    @classmethod
    def scopes(cls, follow: bool = False) -> list[str]:
        """What the fan is asked for; a class method, so the credentials page can say it too."""
        wanted = cls.base_scopes + cls.write_scopes + (cls.follow_scopes if follow else ())
        return list(dict.fromkeys(wanted))

    def granted_write(self, scope: str | None) -> bool:
        """Whether a granted scope string includes what saving needs."""
        return set(self.write_scopes) <= split_scopes(scope)

    # -- the fan's grant -----------------------------------------------------

    @abstractmethod
    def authorization_url(self, redirect_uri: str, state: str, code_challenge: str | None = None,
                          scopes: list[str] | None = None) -> str:
        """Where to send the fan's browser; ``code_challenge`` is the PKCE S256 challenge."""

    @abstractmethod
    def exchange_code(self, code: str, redirect_uri: str,
                      code_verifier: str | None = None) -> TokenSet:
        """Trade the code from the redirect for tokens."""

    @abstractmethod
    def refresh(self, refresh_token: str) -> TokenSet:
        """A fresh access token; ``refresh_token`` in the answer is None unless it rotated."""

    @abstractmethod
    def identity(self, access_token: str) -> str:
        """The platform's stable id of the account behind the token."""

    # -- library -------------------------------------------------------------

    def save_items(self, access_token: str, item_ids: list[str], kind: str = "track") -> None:
        """Save tracks (or, ``kind`` "album", albums where the platform's descriptor says
        saves_albums) into the fan's library; raises ItemsRejected naming ids not saved."""
        self.http.run(self.save_flow(access_token, item_ids, kind))

    @abstractmethod
    def save_flow(self, access_token: str, item_ids: list[str], kind: str = "track"):
        """save_items() as a request flow (app.platforms.flow), for any driver."""

    def tracks_only(self, kind):
        if kind != "track":
            raise NotSupported(f"{self.name} saves tracks, not albums", code="tracks_only")

    def follow_artist(self, access_token: str, artist_id: str) -> None:
        raise NotSupported(f"{self.name} offers no way to follow an artist")

    # -- catalogue (app credentials, no fan) ---------------------------------

    @abstractmethod
    def find_by_isrc(self, isrc: str) -> list[CatalogItem]:
        """Tracks with this ISRC (several are possible: single and album versions)."""

    def find_by_upc(self, upc: str) -> list[CatalogItem]:
        return []

    def find_by_title(self, title: str, artist: str) -> list[CatalogItem]:
        """A title-and-artist search, for platforms without a code search (unverified hits)."""
        return []

    @abstractmethod
    def public_url(self, item_id: str, kind: str = "track") -> str:
        """The public web link of a catalogue item."""

    # -- the app's own credentials, without a fan --------------------------------

    app_credentials = "the client id or secret"  # what a refusal of check_app() is about
    app_check = False  # whether check_app() can ask the platform anything

    def check_app(self) -> None:
        """The cheapest call the app's credentials alone can make; raises what the platform
        answered, NotSupported where every authenticated call needs a fan."""
        raise NotSupported(f"{self.name} has no call an app can make on its own, without a "
                           "fan", code="needs_fan")

    # -- errors: platform dialects override classify() ------------------------

    def revoke(self, token) -> bool:
        """End a fan's grant at the platform; False where the platform cannot (most: the fan
        removes the app in the platform's own settings)."""
        return False

    def check_response(self, response: httpx.Response) -> None:
        """Raise the PlatformError an answer means (Deezer also looks inside HTTP 200).
        Every answer, sync or async, passes here: it is counted here."""
        status = response.status_code
        metrics.platform_answered(self.key, status,
                                  retry_after(response) if status == 429 else None)
        if not response.is_success:
            code, message = error_details(response)
            raise self.classify(status, code, message, response)

    def classify(self, status, code, message, response) -> PlatformError:
        return classify(self.name, status, code, message, response)


def split_scopes(scope: str | None) -> set[str]:
    return set((scope or "").replace(",", " ").split())


def parse_date(value) -> date | None:
    """A release date as platforms write it: 2024-05-17, 2024-05, 2024 or a timestamp."""
    if not value:
        return None
    text = str(value)
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    try:
        parts = [int(part) for part in text[:7].split("-")]
    except ValueError:
        return None
    return date(parts[0], parts[1] if len(parts) > 1 else 1, 1)


def chunks(items, size):
    items = list(items)
    return [items[i:i + size] for i in range(0, len(items), size)]


def unique(items):
    """The ids once each, in order (a repeated id makes TIDAL refuse the whole request)."""
    return list(dict.fromkeys(str(item) for item in items))
