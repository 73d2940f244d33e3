"""Spotify Web API: saves through PUT /me/library (the /me/tracks family is deprecated)."""
from app.platforms.base import CatalogItem, chunks, parse_date, unique
from app.platforms.errors import PlatformError, QuotaExceeded, retry_after
from app.platforms.flow import Request
from app.platform_table import SPOTIFY
from app.platforms.oauth import OAuthPlatform, bearer

LIBRARY_BATCH = 40  # uris per PUT /me/library


class Spotify(OAuthPlatform):
    key = SPOTIFY
    app_check = True  # the client-credentials grant
    write_scopes = ("user-library-modify",)
    follow_scopes = ("user-follow-modify",)
    follows = True
    token_auth_method = "client_secret_basic"

    def classify(self, status, code, message, response):
        if status == 429 and code == "QUOTA_EXCEEDED":  # Dev-Mode quota, not the 30 s window
            return QuotaExceeded(f"Spotify: {message or 'quota exceeded'}", status=status,
                                 code=code, retry_after=retry_after(response))
        return super().classify(status, code, message, response)

    def identity(self, access_token):
        me = self.http.json("GET", "/me", headers=bearer(access_token))
        # account_id is the immutable key since May 2026; id only for older answers.
        return str(me.get("account_id") or me["id"])

    def save_flow(self, access_token, item_ids, kind="track"):
        for batch in chunks([uri(kind, item) for item in unique(item_ids)], LIBRARY_BATCH):
            yield self._put_library(access_token, batch)

    def follow_artist(self, access_token, artist_id):
        try:
            self.http.send(self._put_library(access_token, [uri("artist", artist_id)]))
        except PlatformError as exc:
            # /me/library does not document artists; Extended-Quota apps still have /me/following.
            if exc.transient or exc.revoked or exc.status not in (400, 403, 404):
                raise
            self.http.request("PUT", "/me/following", params={"type": "artist", "ids": artist_id},
                              headers=bearer(access_token))

    @staticmethod
    def _put_library(access_token, uris):
        return Request("PUT", "/me/library", params={"uris": ",".join(uris)},
                       headers=bearer(access_token))

    def find_by_isrc(self, isrc):
        return self._search(f"isrc:{isrc}", "track")

    def find_by_upc(self, upc):
        return self._search(f"upc:{upc}", "album")

    def _search(self, query, kind):
        body = self.app_get("/search", q=query, type=kind, limit=10)
        return [self._item(found, kind) for found in (body or {}).get(f"{kind}s", {}).get("items", [])
                if found]

    def _item(self, found, kind):
        ids = found.get("external_ids") or {}
        album = found.get("album") or found
        return CatalogItem(
            item_id=found["id"],
            url=(found.get("external_urls") or {}).get("spotify") or self.public_url(found["id"], kind),
            title=found.get("name", ""),
            artist=", ".join(a.get("name", "") for a in found.get("artists") or []),
            release_date=parse_date(album.get("release_date")),
            kind=kind, isrc=ids.get("isrc"), upc=ids.get("upc") or ids.get("ean"),
            compilation=album.get("album_type") == "compilation")

    def public_url(self, item_id, kind="track"):
        return f"https://open.spotify.com/{kind}/{item_id}"


def uri(kind, item_id):
    return item_id if item_id.startswith("spotify:") else f"spotify:{kind}:{item_id}"
