"""Deezer: its own OAuth dialect (app_id/secret, comma-separated perms, no PKCE, no
refresh) and errors inside HTTP 200 answers. The access token travels in the query
string, as Deezer requires (app.platforms.http blanks it in httpx's log lines).
"""
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from authlib.common.urls import url_decode

from app.platforms.base import CatalogItem, Platform, TokenSet, parse_date, unique
from app.platforms.errors import (GrantRevoked, ItemsRejected, NotSupported, PlatformError,
                                  RateLimited, TransientError, details_from_body)
from app.platforms.flow import Request
from app.platform_table import DEEZER

QUOTA, PERMISSION, TOKEN_INVALID, SERVICE_BUSY, DATA_NOT_FOUND = "4", "200", "300", "700", "800"


class Deezer(Platform):
    key = DEEZER
    base_scopes = ("basic_access", "email", "offline_access")
    write_scopes = ("manage_library",)
    follows = True  # also what following an artist needs
    scope_separator = ","

    def authorization_url(self, redirect_uri, state, code_challenge=None, scopes=None):
        params = {"app_id": self.credentials.client_id, "redirect_uri": redirect_uri,
                  "perms": ",".join(scopes or self.scopes()), "state": state}
        return f"{self.endpoints.authorize}?{urlencode(params)}"

    def exchange_code(self, code, redirect_uri, code_verifier=None):
        response = self.http.request("GET", self.endpoints.token, params={
            "app_id": self.credentials.client_id, "secret": self.credentials.client_secret,
            "code": code, "output": "json"})
        token = token_answer(response)
        if not token.get("access_token"):
            raise GrantRevoked(f"Deezer refused the code: {response.text[:80].strip()}",
                               status=response.status_code, code="invalid_grant")
        expires = int(token.get("expires") or 0)  # 0: offline_access, never expires
        return TokenSet(
            access_token=token["access_token"], refresh_token=None,
            expires_at=datetime.now(timezone.utc) + timedelta(seconds=expires) if expires else None,
            scope=",".join(self.scopes()))  # Deezer does not echo the perms

    def refresh(self, refresh_token):
        raise NotSupported("Deezer issues no refresh tokens; with offline_access the token does "
                           "not expire. Ask the fan to connect Deezer again.", code="no_refresh")

    def check_response(self, response):
        super().check_response(response)
        body = json_or_none(response)
        if isinstance(body, dict) and "error" in body:  # Deezer's errors come with HTTP 200
            code, message = details_from_body(body)
            raise self.classify(response.status_code, code, message, response)

    def classify(self, status, code, message, response):
        text = f"Deezer: {message or 'error ' + str(code)}"
        kwargs = {"status": status, "code": code}
        if code == QUOTA:
            return RateLimited(text, **kwargs)  # 50 requests / 5 s per IP; no Retry-After
        if code == TOKEN_INVALID:
            return GrantRevoked(text, **kwargs)
        if code == SERVICE_BUSY:
            return TransientError(text, **kwargs)
        if status == 200:
            return PlatformError(text, **kwargs)
        return super().classify(status, code, message, response)

    def identity(self, access_token):
        return str(self.http.json("GET", "/user/me", params={"access_token": access_token})["id"])

    def save_flow(self, access_token, item_ids, kind="track"):
        missing = []
        for item_id in unique(item_ids):  # one id per call
            try:
                yield Request("POST", f"/user/me/{kind}s",
                              params={f"{kind}_id": item_id, "access_token": access_token})
            except PlatformError as exc:
                if exc.code != DATA_NOT_FOUND:
                    raise
                missing.append(str(item_id))
        if missing:
            raise ItemsRejected(f"Deezer did not find {', '.join(missing)}", missing,
                                code=DATA_NOT_FOUND)

    def follow_artist(self, access_token, artist_id):
        self.http.request("POST", "/user/me/artists",
                          params={"artist_id": artist_id, "access_token": access_token})

    def find_by_isrc(self, isrc):
        return self._lookup(f"/track/isrc:{isrc}", "track")

    def find_by_upc(self, upc):
        # Some catalogue entries are keyed without the UPC's leading zeros.
        return self._lookup(f"/album/upc:{upc}", "album") or (
            self._lookup(f"/album/upc:{upc.lstrip('0')}", "album") if upc.startswith("0") else [])

    def _lookup(self, path, kind):
        try:
            found = self.http.json("GET", path)
        except PlatformError as exc:
            if exc.code == DATA_NOT_FOUND or exc.status == 404:
                return []
            raise
        return [CatalogItem(
            item_id=str(found["id"]), url=found.get("link") or self.public_url(found["id"], kind),
            title=found.get("title", ""), artist=(found.get("artist") or {}).get("name", ""),
            release_date=parse_date(found.get("release_date")), kind=kind,
            isrc=found.get("isrc"), upc=found.get("upc"))]

    def public_url(self, item_id, kind="track"):
        return f"https://www.deezer.com/{kind}/{item_id}"


def json_or_none(response):
    try:
        return response.json()
    except ValueError:
        return None


def token_answer(response):
    """Deezer answers JSON with output=json, form-encoded text without, "wrong code" on error."""
    body = json_or_none(response)
    if isinstance(body, dict):
        return body
    try:
        return dict(url_decode(response.text.strip()))
    except ValueError:
        return {}
