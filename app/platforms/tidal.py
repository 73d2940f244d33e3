"""TIDAL developer API (openapi.tidal.com/v2, JSON:API): collections through userCollection*."""
import hashlib
import json
import uuid

from app.platforms.base import CatalogItem, chunks, parse_date, unique
from app.platforms.errors import ItemsRejected, PlatformError, TransientError
from app.platforms.flow import Request, body_json
from app.platform_table import TIDAL
from app.platforms.oauth import OAuthPlatform, bearer

JSON_API = "application/vnd.api+json"
COLLECTION_BATCH = 50


class Tidal(OAuthPlatform):
    key = TIDAL
    app_check = True  # the client-credentials grant
    base_scopes = ("user.read",)
    write_scopes = ("collection.write",)
    follows = True  # also userCollectionArtists
    country = "US"

    def classify(self, status, code, message, response):
        if status == 409 and code == "IDEMPOTENT_REQUEST_IN_PROGRESS":
            return TransientError(f"TIDAL: {message or code}", status=status, code=code)
        return super().classify(status, code, message, response)

    def identity(self, access_token):
        body = self.http.json("GET", "/users/me", headers=self._headers(access_token))
        return str(body["data"]["id"])

    def save_flow(self, access_token, item_ids, kind="track"):
        rejected, collection = [], f"userCollection{kind.title()}s"
        for batch in chunks(unique(item_ids), COLLECTION_BATCH):
            rejected += yield from self._add(access_token, collection, f"{kind}s", batch)
        if rejected:
            raise ItemsRejected(f"TIDAL did not find {', '.join(rejected)}", rejected,
                                code="NOT_FOUND")

    def follow_artist(self, access_token, artist_id):
        if self.http.run(self._add(access_token, "userCollectionArtists", "artists", [artist_id])):
            raise ItemsRejected(f"TIDAL did not find artist {artist_id}", [artist_id],
                                code="NOT_FOUND")

    def _add(self, access_token, resource, kind, ids):
        """A flow adding to a collection; returns the ids TIDAL skipped as NOT_FOUND
        (ALREADY_PRESENT is fine)."""
        headers = {**self._headers(access_token), "Content-Type": JSON_API,
                   "Idempotency-Key": idempotency_key(access_token, resource, ids)}
        payload = {"data": [{"type": kind, "id": str(item)} for item in ids]}
        try:
            body = body_json((yield Request("POST", f"/{resource}/me/relationships/items",
                                            headers=headers, content=json.dumps(payload))))
        except PlatformError as exc:
            if exc.code == "DUPLICATE_ITEMS_IN_COLLECTION":
                return []
            raise
        skipped = ((body or {}).get("meta") or {}).get("skipped") or []
        return [str(s.get("id")) for s in skipped if s.get("reason") == "NOT_FOUND"]

    @staticmethod
    def _headers(access_token):
        return {**bearer(access_token), "Accept": JSON_API}

    def find_by_isrc(self, isrc):
        return self._catalog("/tracks", "track", **{"filter[isrc]": isrc})

    def find_by_upc(self, upc):
        return self._catalog("/albums", "album", **{"filter[barcodeId]": upc})

    def _catalog(self, path, kind, **filters):
        body = self.app_get(path, countryCode=self.country, include="artists", **filters) or {}
        names = {(i.get("type"), i.get("id")): (i.get("attributes") or {}).get("name", "")
                 for i in body.get("included") or []}
        return [self._item(found, kind, names) for found in body.get("data") or []]

    def _item(self, found, kind, names):
        attrs = found.get("attributes") or {}
        artists = ((found.get("relationships") or {}).get("artists") or {}).get("data") or []
        links = [link.get("href") for link in attrs.get("externalLinks") or [] if link.get("href")]
        return CatalogItem(
            item_id=str(found["id"]), url=links[0] if links else self.public_url(found["id"], kind),
            title=attrs.get("title", ""),
            artist=", ".join(filter(None, (names.get(("artists", a.get("id"))) for a in artists))),
            release_date=parse_date(attrs.get("releaseDate") or attrs.get("createdAt")), kind=kind,
            isrc=attrs.get("isrc"), upc=attrs.get("barcodeId"))

    def public_url(self, item_id, kind="track"):
        return f"https://tidal.com/browse/{kind}/{item_id}"


def idempotency_key(access_token, resource, ids):
    """The same save (same grant, same items) carries the same key, so a retry after a
    lost answer is replayed by TIDAL instead of applied twice (keys live about an hour)."""
    grant = hashlib.sha256(access_token.encode()).hexdigest()
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{grant}|{resource}|{','.join(map(str, ids))}"))
