"""Which platform item a release's pre-saves save: a StreamingLink, else an ISRC look-up.

Staff may set the link by hand (source "manual"); otherwise the release's ISRC
is looked up with the app's own credentials and the track found is stored
(source "isrc"). A release not on the platform yet keeps its pre-saves pending
and retries every LINK_RETRY, for up to GIVE_UP_AFTER after the release.
"""
import logging
from datetime import timedelta

from sqlalchemy import select, update

from app.extensions import db
from app.jobs.leases import due
from app.localtime import now_utc
from app.models import PreSave, StreamingLink
from app.models.presave import FAILED, SAVE
from app.platforms.registry import platform_for

log = logging.getLogger(__name__)

LINK_RETRY = timedelta(minutes=15)
LOOKUP_RETRY = timedelta(minutes=1)
GIVE_UP_AFTER = timedelta(hours=72)
NOT_YET, NOT_FOUND = "not_on_platform_yet", "not_found_on_platform"


def stored_item(release_id, platform):
    link = db.session.scalars(select(StreamingLink).where(
        StreamingLink.release_id == release_id, StreamingLink.platform == platform)).first()
    return link.item_id if link is not None and link.item_id else None


def platform_item(release, platform):
    """The item id to save on ``platform``, looked up by ISRC (and stored) when unknown."""
    item_id = stored_item(release.id, platform)
    if item_id or not release.isrc:
        return item_id
    found = lookup(release, platform)
    if found is None:
        return None
    link = db.session.scalars(select(StreamingLink).where(
        StreamingLink.release_id == release.id, StreamingLink.platform == platform)).first()
    if link is None:
        link = StreamingLink(release_id=release.id, label_id=release.label_id,
                             artist_id=release.artist_id, platform=platform, source="isrc")
        db.session.add(link)
    link.url, link.item_id, link.found_at = found.url, found.item_id, now_utc()
    db.session.flush()
    return found.item_id


def lookup(release, platform):
    """The platform's track with the release's ISRC, or None; PlatformError if the look-up failed."""
    with platform_for(release.label_id, platform) as client:
        tracks = client.find_by_isrc(release.isrc)
    return next((t for t in tracks if t.kind == "track"), None)


def park(release, platform, problem=None, now=None):
    """No item yet: due pre-saves wait, or fail once GIVE_UP_AFTER has passed.

    ``problem`` is a failed look-up (PlatformError): retried sooner, said as it is.
    """
    now = now or now_utc()
    waiting = (PreSave.release_id == release.id) & (PreSave.platform == platform) & \
        (PreSave.action == SAVE) & due(now)
    if now >= release.release_at + GIVE_UP_AFTER:
        values = {"state": FAILED, "last_error": NOT_FOUND}
    elif problem is not None:
        log.info("release %s: %s look-up failed (%s)", release.id, platform,
                 type(problem).__name__)
        values = {"next_attempt_at": now + LOOKUP_RETRY,
                  "last_error": f"{NOT_YET} (look-up failed: {problem.message})"}
    else:
        values = {"next_attempt_at": now + LINK_RETRY, "last_error": NOT_YET}
    result = db.session.execute(update(PreSave).where(waiting).values(updated_at=now, **values)
                                .execution_options(synchronize_session=False))
    return result.rowcount
