"""Apple Music pre-add: an EP or album that is in the fan's storefront's catalogue before its
release (the distributor set up a pre-order) is added to their library at pre-save time, and
Apple makes it playable at release.

The job runs once per new Apple pre-save of an EP or album before its instant. When the
catalogue has no such album yet, or Apple refuses, the row stays pending and release day adds
it as any other (the fallback); a lost job costs nothing more. A pre-added row is delivered,
saved_as "pre_add", so release day leaves it alone.
"""
import logging

from sqlalchemy import update

from app import metrics
from app.crypto import DecryptError, keyring
from app.extensions import db
from app.jobs import schedule
from app.jobs.runtime import tenant_job
from app.localtime import now_utc
from app.models import Authorization, PreSave
from app.models.authorization import ACTIVE
from app.models.presave import DELIVERED, PENDING, SAVE
from app.platform_table import APPLE_MUSIC
from app.platforms import catalogue
from app.platforms.errors import PlatformError
from app.platforms.registry import platform_for
from app.releases import links as streaming_links

log = logging.getLogger(__name__)

QUEUE = "default"
PRE_ADD = "pre_add"  # saved_as of a row Apple took before the release


def wanted(release, platform, grant):
    """Whether a new pre-save is one to pre-add: Apple, with a grant, an EP or album not out."""
    return (platform == APPLE_MUSIC and grant is not None and release.is_album
            and now_utc() < release.release_at)


def enqueue(release, presave_id):
    schedule.put(QUEUE, pre_add, release.label_id, presave_id,
                 job_id=schedule.pre_add_id(presave_id), result_ttl=0)


@tenant_job
def pre_add(label_id, presave_id):
    row = db.session.get(PreSave, presave_id)
    grant = db.session.get(Authorization, row.authorization_id) if row is not None and \
        row.authorization_id else None
    if grant is None or (row.state, row.action) != (PENDING, SAVE) or \
            not wanted(row.release, row.platform, grant):
        return {"pre_added": False}
    try:
        token = grant.access_token(keyring()) if grant.state == ACTIVE else None
    except DecryptError:
        token = None
    album = _album(row.release, grant, token) if token else None
    if album is None:
        return {"pre_added": False}
    now = now_utc()
    done = db.session.execute(  # unless release day took the row meanwhile
        update(PreSave).where(PreSave.id == row.id, PreSave.state == PENDING)
        .values(state=DELIVERED, saved_as=PRE_ADD, delivered_at=now, updated_at=now,
                attempts=PreSave.attempts + 1, last_error=None)
        .execution_options(synchronize_session=False)).rowcount
    metrics.add(metrics.PRESAVES, done, APPLE_MUSIC, DELIVERED)
    return {"pre_added": bool(done), "album": album}


def _album(release, grant, token):
    """The album's id in the fan's storefront, added to their library; None when the catalogue
    has no such album yet or Apple refused (release day adds it then)."""
    try:
        with platform_for(release.label_id, APPLE_MUSIC) as client:
            album_id = _album_in(client, release, grant.storefront or client.storefront)
            if album_id is not None:
                client.save_items(token, [album_id], "album")
            return album_id
    except PlatformError as exc:
        log.info("pre-add for release %s: %s (%s); release day adds it", release.id,
                 type(exc).__name__, exc.message)
        return None


def _album_in(client, release, storefront):
    """The album in ``storefront``: the one staff linked by hand (its equivalent there), else
    the UPC's, chosen as the look-ups choose; None when the catalogue has none yet."""
    row = streaming_links.link(release.id, APPLE_MUSIC)
    staffs = row.item_id if row is not None and row.source == streaming_links.MANUAL \
        and row.item_kind == "album" else None
    if staffs and storefront == client.storefront:
        return staffs
    found = client.find_in_storefront(storefront, "album", None if staffs else release.upc,
                                      staffs)
    return catalogue.choose(found, release.artist.name, storefront, "upc").item.item_id \
        if found else None
