"""Amazon Music Web API (closed beta) with Login with Amazon.

Unverified against the live API (nothing here was tried on it): the library
write scope ``music::library``, the save path ``PUT /me/library/tracks?ids=``
(≤50 comma-separated ids: the sandbox's assumption; Amazon documents "Add Track to Current User's
Library" without a captured path) and ``GET /me`` for the account id. Every
Music API call carries the security profile's ``x-api-key`` (credentials.extra).
"""
from app.platforms.base import chunks, unique
from app.platforms.flow import Request
from app.platform_table import AMAZON_MUSIC
from app.platforms.oauth import OAuthPlatform, bearer

LIBRARY_BATCH = 50  # the sandbox's assumption, like the path


class AmazonMusic(OAuthPlatform):
    key = AMAZON_MUSIC
    base_scopes = ("profile",)
    write_scopes = ("music::library",)

    def _headers(self, access_token):
        return {**bearer(access_token), "x-api-key": self.credentials.extra or ""}

    def identity(self, access_token):
        body = self.http.json("GET", "/me", headers=self._headers(access_token)) or {}
        data = body.get("data", body)  # V1 wraps answers in "data"
        user = data.get("user", data)
        return str(user["id"])

    def save_flow(self, access_token, item_ids, kind="track"):
        self.tracks_only(kind)  # no album save is known of the closed beta
        for batch in chunks(unique(item_ids), LIBRARY_BATCH):
            yield Request("PUT", "/me/library/tracks", params={"ids": ",".join(batch)},
                          headers=self._headers(access_token))

    def find_by_isrc(self, isrc):
        # No documented ISRC/UPC search, and catalogue reads need a fan's token (scope
        # music::catalog), never used for look-ups: links come from the external resolver.
        return []

    def public_url(self, item_id, kind="track"):
        return f"https://music.amazon.com/{kind}s/{item_id}"
