"""Which platform item a release's pre-saves save: a StreamingLink, else a catalogue look-up.

Staff may set the link by hand (source "manual"); otherwise the release is looked up
with the app's own credentials through the same path as the link job
(app.releases.links.resolve_one: ISRC, UPC, verified search) and the track found is
stored. A release not on the platform yet keeps its pre-saves pending and retries every
LINK_RETRY, for up to GIVE_UP_AFTER after the release.
"""
import logging
from datetime import timedelta

from sqlalchemy import update

from app.releases import links as streaming_links
from app import metrics
from app.extensions import db
from app.jobs.leases import due
from app.localtime import now_utc
from app.models import PreSave
from app.models.presave import FAILED, SAVE
from app.platform_table import APPLE_MUSIC
from app.platforms import catalogue
from app.platforms.errors import PlatformError
from app.platforms.registry import platform_for

log = logging.getLogger(__name__)

LINK_RETRY = timedelta(minutes=15)
LOOKUP_RETRY = timedelta(minutes=1)
GIVE_UP_AFTER = streaming_links.GIVE_UP_AFTER
NOT_YET, NOT_FOUND = "not_on_platform_yet", "not_found_on_platform"
NOT_IN_STOREFRONT = "not_in_storefront_yet"  # + " (gb)": not in that Apple storefront yet
NOT_FOUND_IN_STOREFRONT = "not_found_in_storefront"  # + " (gb)": not there 72 hours on

stored_item = streaming_links.stored_item


def platform_item(release, platform):
    """The item to save on ``platform`` (streaming_links.Item), looked up (and stored) when
    unknown; None when it is not there yet."""
    item = stored_item(release.id, platform)
    if item:
        return item
    found = streaming_links.resolve_one(release, platform)
    return stored_item(release.id, platform) if found is not None else None


def storefront_items(release, storefronts):
    """{storefront: Apple Music item id, or None where that storefront has none yet} for the
    storefronts of the fans being saved for. Apple's ids differ per storefront: the stored
    link's item is APPLE_STOREFRONT's (and a fan's whose storefront is unknown, keyed None);
    the others are looked up by ISRC (an album's by UPC), else as that item's equivalent,
    and kept on the link."""
    row = streaming_links.link(release.id, APPLE_MUSIC)
    if row is None or not row.item_id:
        return {}
    known, found = dict(row.storefront_ids or {}), {}
    with platform_for(release.label_id, APPLE_MUSIC) as client:
        for storefront in storefronts:
            if storefront in (None, client.storefront):
                found[storefront] = row.item_id
                continue
            if storefront not in known:
                item = _look_in(client, storefront, release, row)
                if item is not None:
                    known[storefront] = item.item_id
            found[storefront] = known.get(storefront)
    if known != (row.storefront_ids or {}):
        row.storefront_ids = known
    return found


def _look_in(client, storefront, release, row):
    """The release's song (or album) in ``storefront``, chosen as the home storefront's
    look-up chooses; of a link staff set, only that item's own equivalent there."""
    code = None if row.source == streaming_links.MANUAL else \
        release.upc if row.item_kind == "album" else release.isrc
    try:
        found = client.find_in_storefront(storefront, row.item_kind, code, row.item_id)
    except PlatformError as exc:  # this time only: the rows wait and the next lease looks again
        log.info("release %s: Apple Music %s look-up failed (%s)", release.id, storefront,
                 type(exc).__name__)
        return None
    return catalogue.choose(found, release.artist.name, storefront, "code").item if found else None


def storefront_wait(release, storefront, now=None):
    """A fan whose storefront lacks the song: (reason, when to try again), or (reason, None)
    once GIVE_UP_AFTER has passed since the release, as for a platform that lacks it."""
    now = now or now_utc()
    if now >= release.release_at + GIVE_UP_AFTER:
        return f"{NOT_FOUND_IN_STOREFRONT} ({storefront})", None
    return f"{NOT_IN_STOREFRONT} ({storefront})", now + LINK_RETRY


def park(release, platform, problem=None, now=None):
    """No item yet: due pre-saves wait, or fail once GIVE_UP_AFTER has passed.

    ``problem`` is a failed look-up (PlatformError): retried sooner (at its Retry-After when
    it gave one), said as it is. The time the rows wait until, or None when they failed.
    """
    now = now or now_utc()
    waiting = (PreSave.release_id == release.id) & (PreSave.platform == platform) & \
        (PreSave.action == SAVE) & due(now)
    if now >= release.release_at + GIVE_UP_AFTER:
        values = {"state": FAILED, "last_error": NOT_FOUND}
    elif problem is not None:
        log.info("release %s: %s look-up failed (%s)", release.id, platform,
                 type(problem).__name__)
        values = {"next_attempt_at": now + _lookup_retry(problem),
                  "last_error": f"{NOT_YET} (look-up failed: {problem.message})"}
    else:
        values = {"next_attempt_at": now + LINK_RETRY, "last_error": NOT_YET}
    parked = db.session.execute(update(PreSave).where(waiting).values(updated_at=now, **values)
                                .execution_options(synchronize_session=False))
    if values.get("state") == FAILED:
        metrics.add(metrics.PRESAVES, parked.rowcount, platform, FAILED)
    return values.get("next_attempt_at")


def _lookup_retry(problem):
    """The platform's Retry-After when it gave one (a 429), else LOOKUP_RETRY."""
    retry_after = getattr(problem, "retry_after", None)
    return timedelta(seconds=max(float(retry_after), 1.0)) if retry_after else LOOKUP_RETRY
