"""YouTube Music through the YouTube Data API v3: a "save" is a like (videos.rate).

There is no YouTube Music API, no pre-save and no ISRC/UPC search: the track is
found by a title-and-artist search (search.list with the app's API key,
credentials.extra; 100 calls a day in its own bucket since June 2026), which the
caller verifies (app.platforms.catalogue), else by the external resolver or staff.
Each like costs 50 of the default 10,000 daily quota units, which reset at
midnight Pacific.
"""
from app.platforms.base import CatalogItem, parse_date, split_scopes, unique
from app.platforms.errors import (PlatformError, QuotaExceeded, RateLimited, retry_after,
                                  seconds_to_pacific_midnight)
from app.platforms.flow import Request
from app.platform_table import YOUTUBE_MUSIC
from app.platforms.oauth import OAuthPlatform, bearer

YOUTUBE_SCOPE = "https://www.googleapis.com/auth/youtube"
# Either scope allows videos.rate and subscriptions.insert.
WRITE_SCOPES = {YOUTUBE_SCOPE, "https://www.googleapis.com/auth/youtube.force-ssl"}
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}


class YouTubeMusic(OAuthPlatform):
    key = YOUTUBE_MUSIC
    write_scopes = (YOUTUBE_SCOPE,)
    # A refresh token only comes with offline access, and only on consent.
    authorize_params = {"access_type": "offline", "prompt": "consent"}

    def granted_write(self, scope):
        return bool(WRITE_SCOPES & split_scopes(scope))

    def classify(self, status, code, message, response):
        text = f"YouTube: {message or code}"
        if status == 403 and code in QUOTA_REASONS:  # a 403, not a 429
            return QuotaExceeded(text, status=status, code=code,
                                 retry_after=seconds_to_pacific_midnight())
        if status == 403 and code in RATE_REASONS:
            return RateLimited(text, status=status, code=code, retry_after=retry_after(response))
        return super().classify(status, code, message, response)

    def identity(self, access_token):
        body = self.http.json("GET", "/channels", params={"part": "id", "mine": "true"},
                              headers=bearer(access_token))
        items = (body or {}).get("items") or []
        if not items:
            raise PlatformError("YouTube: this Google account has no YouTube channel",
                                code="no_channel")
        return str(items[0]["id"])

    def save_flow(self, access_token, item_ids, kind="track"):
        self.tracks_only(kind)  # an album is a playlist here, and each like costs quota
        for video_id in unique(item_ids):
            yield Request("POST", "/videos/rate", params={"id": video_id, "rating": "like"},
                          headers=bearer(access_token), content=b"")

    def follow_artist(self, access_token, artist_id):
        body = {"snippet": {"resourceId": {"kind": "youtube#channel", "channelId": artist_id}}}
        try:
            self.http.request("POST", "/subscriptions", params={"part": "snippet"}, json=body,
                              headers=bearer(access_token))
        except PlatformError as exc:
            if exc.code != "subscriptionDuplicate":
                raise

    def find_by_isrc(self, isrc):
        return []  # the Data API has no code search

    def find_by_title(self, title, artist):
        if not self.credentials.extra:
            return []  # no API key: searching is not possible without a fan's token
        body = self.http.json("GET", "/search", params={
            "part": "snippet", "type": "video", "videoCategoryId": "10", "maxResults": 10,
            "q": f"{artist} {title}", "key": self.credentials.extra}) or {}
        return [self._video(found) for found in body.get("items") or []
                if (found.get("id") or {}).get("videoId")]

    def _video(self, found):
        snippet = found.get("snippet") or {}
        video_id = found["id"]["videoId"]
        # Art tracks live on the artist's auto-generated "<Artist> - Topic" channel.
        channel = snippet.get("channelTitle", "").removesuffix(" - Topic")
        return CatalogItem(item_id=video_id, url=self.public_url(video_id),
                           title=snippet.get("title", ""), artist=channel,
                           release_date=parse_date(snippet.get("publishedAt")), kind="track")

    def public_url(self, item_id, kind="track"):
        if kind == "album":
            return f"https://music.youtube.com/playlist?list={item_id}"
        return f"https://music.youtube.com/watch?v={item_id}"
