"""A release's streaming links: found in the platforms' catalogues, or set by staff.

One look-up path for release day (which item to save, app.jobs.items) and for the link job
(which links the fan page shows, app.jobs.links):

1. each enabled platform with a catalogue search is asked with the label's app credentials
   (app.platforms.catalogue: ISRC, then UPC, then a verified title-and-artist search);
2. then, only when ODESLI_API_KEY is set, the external resolver is given a link already
   found and fills the platforms still missing, link-only extras included.

Each link is a StreamingLink with its source, the reason for its choice and its time. A link
staff set by hand (source "manual") or hid is never replaced by a look-up; at most, when it
names no item to save, it gets the one the look-up found. A change of the release's kind or
codes (forget_looked_up) drops the looked-up links and the items that no longer fit.

A link's item is what pre-saves save there: a single's track; an EP's or album's album where
the platform's library takes albums (app.platform_table.saved_kind), else its focus track.
"""
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.localtime import now_utc
from app.models import StreamingLink
from app.platform_table import PLATFORM_KEYS, RESOLVER_EXTRAS, name, saved_kind
from app.platforms import catalogue, odesli, web_links
from app.platforms.errors import NotSupported, PlatformError
from app.platforms.registry import platform_for

log = logging.getLogger(__name__)

GIVE_UP_AFTER = timedelta(hours=72)
MANUAL, RESOLVER = "manual", "resolver"


@dataclass(frozen=True)
class Outcome:
    platform: str
    link: StreamingLink | None
    looked: bool  # False: already linked, nothing asked
    problem: str | None = None  # why nothing could be asked, or the failed call


def link(release_id, platform):
    return db.session.scalars(select(StreamingLink).where(
        StreamingLink.release_id == release_id, StreamingLink.platform == platform)).first()


def links(release):
    return db.session.scalars(select(StreamingLink).where(
        StreamingLink.release_id == release.id).order_by(StreamingLink.platform)).all()


@dataclass(frozen=True)
class Item:
    """What pre-saves save on a platform: an id and its kind ("track" or "album")."""

    id: str
    kind: str = "track"


def stored_item(release_id, platform):
    found = link(release_id, platform)
    return Item(found.item_id, found.item_kind) if found is not None and found.item_id else None


def wanted_kind(release, platform):
    return saved_kind(platform, release.is_album)


def missing(release):
    """Enabled platforms with no link yet (a hidden link counts: staff decided)."""
    linked = set(db.session.scalars(select(StreamingLink.platform).where(
        StreamingLink.release_id == release.id)))
    return [p for p in release.platforms or [] if p not in linked]


def resolve_one(release, platform):
    """Look the release up in ``platform``'s catalogue and store what is found; the link, or
    None. NotSupported without app credentials; PlatformError when the call failed."""
    with platform_for(release.label_id, platform) as client:
        match = catalogue.find(client, release)
    if match is None:
        return None
    item, kind = match.item, wanted_kind(release, platform)
    return store(release, platform, item.url, item.item_id if item.kind == kind else None,
                 match.source, match.why)


def store(release, platform, url, item_id, source, why):
    """Keep a found link, unless staff set or hid this platform's link. ``item_id``: what
    pre-saves save there (of the release's wanted_kind), or None for a link only."""
    row, kind = link(release.id, platform), wanted_kind(release, platform)
    if row is not None and (row.source == MANUAL or row.hidden):
        if not row.item_id and item_id:  # staff's link names none: save the one found
            row.item_id, row.item_kind, row.storefront_ids = item_id, kind, None
        return row
    if row is None:
        row = StreamingLink(release_id=release.id, label_id=release.label_id,
                            artist_id=release.artist_id, platform=platform)
        db.session.add(row)
    row.url, row.item_id, row.source, row.note = url, item_id, source, why[:300]
    row.item_kind, row.storefront_ids = kind, None  # other storefronts' ids are of the old item
    row.found_at = now_utc()
    db.session.flush()
    return row


def resolve(release, progress=lambda platform: None):
    """Look up every enabled platform not linked yet, then the external resolver if configured.
    {platform: Outcome}; ``progress(platform)`` after each platform."""
    outcomes = {}
    for platform in release.platforms or []:
        outcomes[platform] = _resolve_platform(release, platform)
        progress(platform)
    if odesli.configured():
        outcomes.update(_resolve_external(release, outcomes))
    return outcomes


def _resolve_platform(release, platform):
    existing = link(release.id, platform)
    if existing is not None:
        return Outcome(platform, existing, looked=False)
    if platform not in PLATFORM_KEYS:
        return Outcome(platform, None, False, "no catalogue search")
    try:
        return Outcome(platform, resolve_one(release, platform), looked=True)
    except NotSupported:
        return Outcome(platform, None, False, "no app credentials")
    except PlatformError as exc:
        log.info("release %s: %s look-up failed (%s)", release.id, platform, type(exc).__name__)
        return Outcome(platform, None, True, exc.message)


def _resolve_external(release, outcomes):
    """Ask Odesli about a link already found, for what is still missing."""
    wanted = [p for p in (*(release.platforms or []), *RESOLVER_EXTRAS)
              if link(release.id, p) is None]
    seed = next((row for row in links(release) if not row.hidden and
                 row.platform in odesli.PLATFORMS.values()), None)
    if not wanted or seed is None:
        return {}
    try:
        found = odesli.links_for(seed.url)
    except PlatformError as exc:
        log.info("release %s: %s failed (%s)", release.id, odesli.NAME, type(exc).__name__)
        return {p: Outcome(p, None, True, exc.message) for p in wanted}
    why = f"{odesli.NAME}, from the {name(seed.platform)} link"
    return {p: Outcome(p, _store_resolved(release, p, found[p], why) if p in found else None,
                       looked=True) for p in wanted}


def _store_resolved(release, platform, found, why):
    """A link from the resolver; its item only when it is of the kind saved there (an EP's
    Spotify link resolved from its focus track on Amazon is a link, not the album)."""
    url, item_id, kind = found
    saved = item_id if kind == wanted_kind(release, platform) else None
    return store(release, platform, url, saved, RESOLVER, why)


# --- by hand ------------------------------------------------------------------------------

def set_link(release, platform, url=None, hidden=None, actor="staff"):
    """Set or replace a platform's link by hand, and/or hide or show it. ValueError says what
    is wrong with the input. Returns (link, created)."""
    platform = web_links.known(platform)
    url = web_links.checked_url(platform, url) if url is not None else None
    row, created = link(release.id, platform), False
    if row is None:
        if url is None:
            raise ValueError(f"There is no {name(platform)} link yet: give its URL")
        row, created = StreamingLink(release_id=release.id, label_id=release.label_id,
                                     artist_id=release.artist_id, platform=platform), True
        db.session.add(row)
    if url is not None:
        kind = wanted_kind(release, platform)
        row.url, row.item_id, row.source = url, web_links.item_id(platform, url, kind), MANUAL
        row.item_kind, row.storefront_ids = kind, None
        row.note, row.found_at = f"set by {actor}"[:300], now_utc()
    if hidden is not None:
        row.hidden = bool(hidden)
    db.session.flush()
    return row, created


def remove_link(release, platform):
    """Forget a platform's link (a look-up may find it again: hide it to keep it off the page)."""
    row = link(release.id, web_links.known(platform))
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    return True


def forget_looked_up(release):
    """The release's codes or kind changed: links found by a look-up go, and the next look-up
    is due now (the reconciler starts it). Staff's links and hidden ones stay, each with only
    the item its own URL names, if of the kind now saved there; else a look-up finds it."""
    for row in links(release):
        if row.source != MANUAL and not row.hidden:
            db.session.delete(row)
            continue
        kind = wanted_kind(release, row.platform)
        own = web_links.item_id(row.platform, row.url, kind) if row.source == MANUAL else None
        row.item_id, row.item_kind, row.storefront_ids = own, kind, None
    release.links_gave_up_at = None
    release.links_next_check_at = now_utc() if release.links_checked_at else None
    db.session.flush()


def as_dict(row):
    return {"platform": row.platform, "name": name(row.platform), "url": row.url,
            "item_id": row.item_id, "item_kind": row.item_kind if row.item_id else None,
            "source": row.source, "why": row.note, "hidden": row.hidden,
            "found_at": row.found_at}


def checks(release):
    """Where the look-ups stand: attempts, the last and next one, the give-up, what is missing."""
    return {"attempts": release.links_attempts or 0, "last_checked_at": release.links_checked_at,
            "next_check_at": release.links_next_check_at,
            "gave_up_at": release.links_gave_up_at, "missing": missing(release)}
