"""Apple Music API: an ES256 developer token we sign, and the fan's Music-User-Token.

There is no OAuth redirect: the fan page loads MusicKit JS (``endpoints.script``)
configured with developer_token(), ``music.authorize()`` yields the
Music-User-Token (MUT), and the page posts it back; exchange_code() takes the MUT
as the code. MUTs do not refresh; a 403 means the fan must authorise again.
Apple names no account, so identity() is a digest of the MUT.

A library add answers 202 and silently ignores ids it cannot add, so
save_items() then checks each id in the catalogue of the fan's storefront.
"""
import hashlib
import re
import threading
import time
from urllib.parse import urlsplit

from joserfc import jwt
from joserfc.jwk import ECKey

from app.platforms.base import CatalogItem, Credentials, Platform, TokenSet, chunks, parse_date, unique
from app.platforms.errors import GrantRevoked, ItemsRejected, NotSupported, PlatformError
from app.platforms.flow import Request
from app.platform_table import APPLE_MUSIC
from app.platforms.oauth import bearer

SANDBOX_TEAM_ID, SANDBOX_KEY_ID = "PRESAVESBX", "SANDBOXKEY"
MAX_TOKEN_LIFETIME = 15777000  # Apple refuses developer tokens valid longer (about 6 months)
TOKEN_LIFETIME = 24 * 3600
PROBE_ISRC = "USRC17607839"  # any well-formed code: the search answers whether it is found or not
IDS_PER_REQUEST = 100  # Apple documents no limit for library adds; stay modest
_cache_lock = threading.Lock()
_dev_tokens = {}


def developer_token(team_id, key_id, private_key_pem, origins=(), now=None,
                    lifetime=TOKEN_LIFETIME):
    """An ES256 JWT: header alg + kid, claims iss (team), iat, exp, and the origins MusicKit
    may run on (none: any)."""
    if not 0 < lifetime <= MAX_TOKEN_LIFETIME:
        raise ValueError("an Apple developer token lives at most 15777000 s")
    issued = int(now if now is not None else time.time())
    claims = {"iss": team_id, "iat": issued, "exp": issued + lifetime}
    if origins:
        claims["origin"] = list(origins)
    header = {"alg": "ES256", "kid": key_id}
    return jwt.encode(header, claims, ECKey.import_key(private_key_pem), algorithms=["ES256"])


def team_and_key(client_id):
    """Apple's client_id is stored as "TEAMID/KEYID" (any non-alphanumeric separator)."""
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", client_id or "") if p]
    if len(parts) != 2:
        raise PlatformError("Apple Music credentials need the team id and key id as "
                            "'TEAMID/KEYID'", code="credentials")
    return parts[0], parts[1]


class AppleMusic(Platform):
    key = APPLE_MUSIC
    app_credentials = "the team id, key id or private key"
    app_check = True

    def __init__(self, endpoints, credentials, transport=None, timeout=10.0, storefront="us",
                 origin=None):
        super().__init__(endpoints, credentials, transport=transport, timeout=timeout)
        self.storefront = storefront  # for catalogue look-ups without a fan
        self.origin = origin

    @classmethod
    def instance_credentials(cls, config):
        team, key_id = config.get("APPLE_TEAM_ID"), config.get("APPLE_KEY_ID")
        return Credentials(f"{team}/{key_id}" if team and key_id else None,
                           extra=config.get("APPLE_PRIVATE_KEY"))

    @classmethod
    def sandbox_credentials(cls, config):
        """The sandbox's fixed team and key, and the instance's own sandbox .p8."""
        return Credentials(f"{SANDBOX_TEAM_ID}/{SANDBOX_KEY_ID}",
                           extra=config["APPLE_SANDBOX_PRIVATE_KEY"])

    @classmethod
    def options(cls, config):
        parts = urlsplit(config["PUBLIC_BASE_URL"])
        return {"storefront": config.get("APPLE_STOREFRONT", "us"),
                "origin": f"{parts.scheme}://{parts.netloc}"}

    def developer_token(self, also_origins=()):
        """``also_origins``: where else MusicKit runs with it (a label's own domain), beside
        the instance's origin."""
        team_id, key_id = team_and_key(self.credentials.client_id)
        pem = self.credentials.extra or ""
        origins = tuple(filter(None, (self.origin, *also_origins)))
        cache_key = (team_id, key_id, hashlib.sha256(pem.encode()).hexdigest(), origins)
        with _cache_lock:
            token, expires = _dev_tokens.get(cache_key, (None, 0))
        if token and expires > time.time() + 3600:
            return token
        token = developer_token(team_id, key_id, pem, origins=origins)
        with _cache_lock:
            _dev_tokens[cache_key] = (token, time.time() + TOKEN_LIFETIME)
        return token

    def check_app(self):
        """Apple has no token endpoint: a catalogue search carrying the developer token."""
        try:
            headers = self._headers()
        except ValueError:  # the key does not load (joserfc/cryptography say why, at length)
            raise PlatformError("Apple Music: the private key is not a readable .p8 (PEM) key",
                                code="credentials") from None
        self.http.request("GET", f"/catalog/{self.storefront}/songs",
                          params={"filter[isrc]": PROBE_ISRC}, headers=headers)

    def classify(self, status, code, message, response):
        text = f"Apple Music: {message or 'HTTP ' + str(status)}"
        if status == 403:  # the Music-User-Token is no longer valid
            return GrantRevoked(text, status=status, code=code or "40300")
        if status == 401:  # the developer token, not the fan: refreshing would not help
            return PlatformError(text, status=status, code=code or "developer_token")
        return super().classify(status, code, message, response)

    # -- the fan's grant: MusicKit JS in the page ------------------------------

    @classmethod
    def scopes(cls, follow=False):
        return []

    def granted_write(self, scope):
        return True  # a MUT carries no scopes; library access is the whole grant

    def authorization_url(self, redirect_uri, state, code_challenge=None, scopes=None):
        raise NotSupported("Apple Music authorises in the page with MusicKit JS "
                           "(endpoints.script, developer_token()); post the Music-User-Token "
                           "to exchange_code()", code="musickit")

    def exchange_code(self, code, redirect_uri=None, code_verifier=None):
        return TokenSet(access_token=code, refresh_token=None, expires_at=None, scope="")

    def refresh(self, refresh_token):
        raise NotSupported("Apple Music-User-Tokens cannot be refreshed; ask the fan to "
                           "authorise again", code="no_refresh")

    def identity(self, access_token):
        self.user_storefront(access_token)  # proves the MUT works
        return "mut-" + hashlib.sha256(access_token.encode()).hexdigest()[:40]

    def user_storefront(self, access_token):
        return self.http.run(self._storefront_flow(access_token))

    def _storefront_flow(self, access_token):
        answer = yield Request("GET", "/me/storefront", headers=self._headers(access_token))
        try:
            return str(answer.json()["data"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError):
            raise PlatformError("Apple Music: an unreadable storefront answer",
                                status=answer.status_code, code="bad_answer") from None

    def _headers(self, music_user_token=None):
        headers = bearer(self.developer_token())
        if music_user_token:
            headers["Music-User-Token"] = music_user_token
        return headers

    # -- library ---------------------------------------------------------------

    def save_flow(self, access_token, item_ids, kind="track"):
        item_ids, resource = unique(item_ids), resource_of(kind)
        for batch in chunks(item_ids, IDS_PER_REQUEST):
            yield Request("POST", "/me/library", params={f"ids[{resource}]": ",".join(batch)},
                          headers=self._headers(access_token))
        storefront = yield from self._storefront_flow(access_token)
        unknown = []
        for item_id in item_ids:
            if not (yield from self._in_catalog(storefront, resource, item_id)):
                unknown.append(item_id)
        if unknown:
            raise ItemsRejected(f"Apple Music accepted but cannot add {', '.join(unknown)} "
                                f"(not in the {storefront} catalogue)", unknown, code="unknown_ids")

    def _in_catalog(self, storefront, resource, item_id):
        """The 202 cannot tell; an id missing from the fan's storefront was ignored.
        (Reading the library back is possible but paginated and lags behind the add.)"""
        try:
            yield Request("GET", f"/catalog/{storefront}/{resource}/{item_id}",
                          headers=self._headers())
        except PlatformError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    # -- catalogue ---------------------------------------------------------------

    def find_by_isrc(self, isrc):
        return self._filter("songs", "track", include="albums", **{"filter[isrc]": isrc})

    def find_by_upc(self, upc):
        return self._filter("albums", "album", **{"filter[upc]": upc})

    def find_in_storefront(self, storefront, kind="track", code=None, equivalent_of=None):
        """The song's (or album's) candidates in another storefront's catalogue (its id differs
        there): by its code (ISRC, or UPC), else as equivalents of this storefront's
        ``equivalent_of``."""
        resource, found = resource_of(kind), []
        if code:
            field = "upc" if kind == "album" else "isrc"
            found = [item for item in self._filter(resource, kind, storefront=storefront,
                                                   **{f"filter[{field}]": code})
                     if kind == "album" or item.isrc in (None, code)]
        if not found and equivalent_of:
            found = self._filter(resource, kind, storefront=storefront,
                                 **{"filter[equivalents]": equivalent_of})
        return found

    def _filter(self, resource, kind, storefront=None, **params):
        try:
            body = self.http.json("GET", f"/catalog/{storefront or self.storefront}/{resource}",
                                  params=params, headers=self._headers())
        except PlatformError as exc:
            if exc.status == 404:
                return []
            raise
        return [self._item(found, kind) for found in (body or {}).get("data") or []]

    def _item(self, found, kind):
        attrs = found.get("attributes") or {}
        albums = ((found.get("relationships") or {}).get("albums") or {}).get("data") or []
        compilation = attrs.get("isCompilation") or any(
            (album.get("attributes") or {}).get("isCompilation") for album in albums)
        return CatalogItem(
            item_id=str(found["id"]), url=attrs.get("url") or self.public_url(found["id"], kind),
            title=attrs.get("name", ""), artist=attrs.get("artistName", ""),
            release_date=parse_date(attrs.get("releaseDate")), kind=kind,
            isrc=attrs.get("isrc"), upc=attrs.get("upc"), compilation=bool(compilation))

    def public_url(self, item_id, kind="track"):
        path = "album" if kind == "album" else "song"
        return f"https://music.apple.com/{self.storefront}/{path}/{item_id}"


def resource_of(kind):
    """Apple's catalogue and library resource for an item kind."""
    return "albums" if kind == "album" else "songs"
