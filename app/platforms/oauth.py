"""Standard OAuth 2 authorisation-code platforms (Spotify, TIDAL, Google, Amazon) via Authlib.

Token-endpoint answers pass through a compliance hook that raises our
PlatformError for any non-2xx answer, so a 429 or 5xx keeps its status and
Retry-After and ``invalid_grant`` becomes GrantRevoked.
"""
import hashlib
import threading
import time
import warnings
from contextlib import contextmanager
from datetime import datetime, timezone

import httpx
from authlib.deprecate import AuthlibDeprecationWarning

# Authlib 1.9 would rather build its OAuth2Client on httpx2. We stay on httpx on purpose (see
# requirements.txt): the clients, the sandbox's in-process WSGITransport and Authlib share it.
warnings.filterwarnings("ignore", "The httpx module is deprecated",
                        AuthlibDeprecationWarning)

from authlib.common.security import generate_token  # noqa: E402
from authlib.integrations.base_client import OAuthError  # noqa: E402
from authlib.integrations.httpx_client import OAuth2Client  # noqa: E402
from authlib.oauth2.rfc7636 import create_s256_code_challenge  # noqa: E402

from app.platforms.base import Platform, TokenSet
from app.platforms.errors import PlatformError, TokenRejected
from app.platforms.http import unreachable


# The one state and PKCE implementation: the fan sign-in (app.presaves.oauth_state) and the
# client tests both go through these.
def new_state() -> str:
    return generate_token(32)


def new_code_verifier() -> str:
    return generate_token(64)  # RFC 7636: 43-128 unreserved characters


def code_challenge(code_verifier: str) -> str:
    return create_s256_code_challenge(code_verifier)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def token_set(token: dict, refresh_token: str | None, default_scope: str = "") -> TokenSet:
    expires_at = token.get("expires_at")  # Authlib derives it from expires_in (0: none)
    account = token.get("user_id")
    return TokenSet(
        access_token=token["access_token"],
        refresh_token=refresh_token,
        expires_at=datetime.fromtimestamp(int(expires_at), timezone.utc) if expires_at else None,
        scope=token.get("scope") or default_scope,
        account_id=None if account in (None, "") else str(account),
    )


class _AppTokens:
    """Client-credentials tokens per (token endpoint, app), reused until a minute before expiry."""

    def __init__(self):
        self._lock = threading.Lock()
        self._tokens = {}

    def get(self, key):
        with self._lock:
            token, expires = self._tokens.get(key, (None, 0))
        return token if expires > time.time() + 60 else None

    def put(self, key, token, expires):
        with self._lock:
            self._tokens[key] = (token, expires)

    def drop(self, key):
        with self._lock:
            self._tokens.pop(key, None)


APP_TOKENS = _AppTokens()


class OAuthPlatform(Platform):
    token_auth_method = "client_secret_post"
    authorize_params: dict = {}  # platform extras (Google: access_type, prompt)

    def authorization_url(self, redirect_uri, state, code_challenge=None, scopes=None):
        params = dict(self.authorize_params)
        if code_challenge:
            params.update(code_challenge=code_challenge, code_challenge_method="S256")
        with self._session() as client:
            url, _ = client.create_authorization_url(
                self.endpoints.authorize, state=state, redirect_uri=redirect_uri,
                scope=self.scope_separator.join(scopes or self.scopes()), **params)
        return url

    def exchange_code(self, code, redirect_uri, code_verifier=None):
        extra = {"code_verifier": code_verifier} if code_verifier else {}
        token = self._token_call(lambda client: client.fetch_token(
            self.endpoints.token, grant_type="authorization_code", code=code,
            redirect_uri=redirect_uri, **extra))
        return token_set(token, token.get("refresh_token"))

    def refresh(self, refresh_token):
        token = self._token_call(lambda client: client.refresh_token(
            self.endpoints.token, refresh_token=refresh_token))
        # Authlib copies the old refresh token in when none came back; report rotation only.
        new = token.get("refresh_token")
        return token_set(token, new if new and new != refresh_token else None)

    def revoke(self, token):
        """End the fan's grant at the platform (RFC 7009); False where the platform has no
        revocation endpoint (the fan removes the app in the platform's own settings)."""
        if not self.endpoints.revoke:
            return False
        try:
            with self._session() as client:
                response = client.revoke_token(self.endpoints.revoke, token=token)
        except httpx.TransportError as exc:
            raise unreachable(self, exc) from None
        if response.status_code == 400 and "invalid_token" in response.text:
            return True  # already revoked or expired: gone either way
        self.check_response(response)
        return True

    # -- app (client-credentials) token for catalogue look-ups ---------------

    def app_token(self) -> str:
        key = self._app_token_key()
        cached = APP_TOKENS.get(key)
        if cached:
            return cached
        token = self._fetch_app_token()
        APP_TOKENS.put(key, token["access_token"], token.get("expires_at") or time.time() + 3600)
        return token["access_token"]

    def check_app(self):
        if not self.app_check:
            return super().check_app()
        self._fetch_app_token()  # never the cached token: the point is to ask again

    def _fetch_app_token(self):
        return self._token_call(lambda client: client.fetch_token(
            self.endpoints.token, grant_type="client_credentials"))

    def app_get(self, path, **params):
        """GET with the app token; one retry with a new token if the cached one was refused."""
        try:
            return self.http.json("GET", path, params=params, headers=bearer(self.app_token()))
        except TokenRejected:
            APP_TOKENS.drop(self._app_token_key())
            return self.http.json("GET", path, params=params, headers=bearer(self.app_token()))

    def _app_token_key(self):
        secret = hashlib.sha256((self.credentials.client_secret or "").encode()).hexdigest()[:16]
        return (self.endpoints.token, self.credentials.client_id, secret)

    # -- plumbing --------------------------------------------------------------

    @contextmanager
    def _session(self):
        client = OAuth2Client(
            client_id=self.credentials.client_id, client_secret=self.credentials.client_secret,
            token_endpoint_auth_method=self.token_auth_method,
            transport=self.transport, timeout=self.timeout)
        client.register_compliance_hook("access_token_response", self._checked)
        client.register_compliance_hook("refresh_token_response", self._checked)
        try:
            yield client
        finally:
            if self.transport is None:  # an injected transport is shared with self.http
                client.close()

    def _checked(self, response):
        self.check_response(response)
        return response

    def _token_call(self, call):
        try:
            with self._session() as client:
                return call(client)
        except PlatformError:
            raise
        except OAuthError as exc:  # an error inside a 2xx answer
            raise self.classify(400, exc.error, exc.description, None) from None
        except httpx.TransportError as exc:
            raise unreachable(self, exc) from None
        except (httpx.HTTPStatusError, ValueError, KeyError):
            raise PlatformError(f"{self.name}: unreadable answer from the token endpoint") from None
