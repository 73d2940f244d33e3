"""Finding a release in one platform's catalogue, with the app's credentials (never a fan's).

By code where the platform has a code search: the ISRC names the track (what a single's
pre-saves save, and an EP's or album's focus track), the UPC the album (what an EP's or
album's pre-saves save where the platform's library takes albums; a link only elsewhere).
Where it has none (YouTube Music), by title and artist, and a hit counts only once
verified: the release's title and artist in it, no cover, karaoke or remix the release is
not (never for an EP or album: a search finds its title track, not its focus track).
Several hits are chosen between deterministically (choose()), and the choice says why.
"""
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from app.platform_table import saved_kind
from app.platforms.base import CatalogItem, Platform

ISRC, UPC, SEARCH = "isrc", "upc", "search"
# Words that make a search hit another recording, unless the release's title has them too.
OTHER_RECORDINGS = ("cover", "karaoke", "instrumental", "remix", "live", "sped up", "slowed",
                    "8d", "reaction", "tribute")
ARTIST_SEPARATORS = re.compile(r"\s*(?:,|&|\bfeat\.?|\bft\.?|\bwith\b|\bx\b)\s*")


@dataclass(frozen=True)
class Match:
    item: CatalogItem
    source: str  # isrc | upc | search
    why: str


def find(client: Platform, release) -> Match | None:
    """The release's item on the client's platform, or None; PlatformError if a call failed."""
    artist = release.artist.name
    if saved_kind(client.key, release.is_album) == "album":  # the album itself, nothing else
        albums = [a for a in client.find_by_upc(release.upc) if a.kind == "album"] \
            if release.upc else []
        return choose(albums, artist, f"UPC {release.upc}", UPC) if albums else None
    if release.isrc:
        tracks = [t for t in client.find_by_isrc(release.isrc) if t.kind == "track"]
        if tracks:
            return choose(tracks, artist, f"ISRC {release.isrc}", ISRC)
    if release.upc:
        albums = [a for a in client.find_by_upc(release.upc) if a.kind == "album"]
        if albums:
            return choose(albums, artist, f"UPC {release.upc}", UPC)
    if release.is_album:  # a search finds the title track, not the focus track
        return None
    hits = [h for h in client.find_by_title(release.title, artist)
            if verified(h, release.title, artist)]
    return choose(hits, artist, f"“{artist} – {release.title}”", SEARCH) if hits else None


def choose(items, artist, asked, source) -> Match:
    """One item of several, the same whatever order they came in: the release's artist first,
    then not a compilation, then the earliest release, then the lowest id."""
    ranked = sorted(items, key=lambda i: (not same_artist(i.artist, artist), i.compilation,
                                          i.release_date or date.max, i.item_id))
    chosen = ranked[0]
    if len(ranked) == 1:
        return Match(chosen, source, f"the only match for {asked}")
    reasons = []
    if same_artist(chosen.artist, artist):
        reasons.append("same artist")
    if not chosen.compilation:
        reasons.append("not a compilation")
    if chosen.release_date:
        reasons.append(f"earliest release ({chosen.release_date.isoformat()})")
    rivals = [i for i in ranked[1:] if (same_artist(i.artist, artist), i.compilation,
                                        i.release_date) == (same_artist(chosen.artist, artist),
                                                            chosen.compilation,
                                                            chosen.release_date)]
    if rivals:
        reasons.append("lowest id")
    return Match(chosen, source, f"{len(ranked)} matches for {asked}: chose {chosen.item_id}: "
                                 f"{', '.join(reasons) or 'first by id'}")


def normal(text):
    """Lower case, no accents, punctuation as spaces, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def same_artist(credited, artist):
    wanted = normal(artist)
    names = [normal(name) for name in ARTIST_SEPARATORS.split(credited or "")]
    return bool(wanted) and (wanted in names or normal(credited) == wanted)


def verified(item, title, artist):
    """A search hit is the release: its title holds the release's title, its artist (or its
    title, as in "Artist - Title") the artist, and it is no other recording of it."""
    hit_title, wanted = normal(item.title), normal(title)
    if not wanted or not _contains(hit_title, wanted):
        return False
    if not (same_artist(item.artist, artist) or _contains(hit_title, normal(artist))):
        return False
    return not any(_contains(hit_title, word) and not _contains(wanted, word)
                   for word in OTHER_RECORDINGS)


def _contains(text, words):
    return f" {words} " in f" {text} "
