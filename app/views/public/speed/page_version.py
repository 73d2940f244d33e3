"""One counter in Redis that moves whenever anything a fan page shows may have changed.

Every committed change to a release, an artist, a label, a label's platform
credentials or its domains moves it, from any process (web, worker, CLI). A fan page kept in a
web process (app.views.public.speed.fast_lane) is served only while the counter still
reads what it read when the page was kept, so an edit shows on the next view (or,
from another process, within FAN_PAGE_RECHECK_MS).
"""
import logging
import time
from functools import lru_cache
from itertools import chain

from flask import current_app, has_app_context
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import redis_connection

KEY = "fanpage:version"
# The longest anything kept for a fan page is used, whatever the version says (a safety net
# for a version that could not be moved): the kept pages and the platform setups.
KEEP_SECONDS = 30
EXTENSION = "fan_page_version"  # (value, when read) in this process
_CHANGED = "fanpage_changed"
log = logging.getLogger(__name__)


def current():
    """The counter's value (0 before any change), or None when Redis cannot be asked.

    Read from Redis at most every FAN_PAGE_RECHECK_MS in this process: a change made by
    another process shows that much later at most, one made by this process at once."""
    known = current_app.extensions.get(EXTENSION)
    max_age = current_app.config.get("FAN_PAGE_RECHECK_MS", 0) / 1000
    if known is not None and time.monotonic() - known[1] < max_age:
        return known[0]
    try:
        return _known(int(redis_connection().get(KEY) or 0))
    except RedisError:
        return None


def bump():
    if not has_app_context():  # this app's sessions all run in one; another's are not ours
        return
    try:
        _known(redis_connection().incr(KEY))
    except RedisError as exc:  # kept pages then live out their short lifetime
        log.warning("fan page version not moved (%s)", exc.__class__.__name__)


def _known(version):
    current_app.extensions[EXTENSION] = (version, time.monotonic())
    return version


def install():
    """Watch every session's commits (once per process, whatever the number of apps)."""
    if not event.contains(Session, "after_flush", _note_changes):
        event.listen(Session, "after_flush", _note_changes)
        event.listen(Session, "do_orm_execute", _note_bulk_changes)
        event.listen(Session, "after_commit", _bump_if_changed)
        event.listen(Session, "after_rollback", _forget_changes)


@lru_cache(maxsize=1)
def _watched():
    from app.models import Artist, CustomDomain, Label, PlatformCredential, Release

    return (Artist, CustomDomain, Label, PlatformCredential, Release)


def _note_changes(session, flush_context):
    """Runs after every flush (the release-day loop's too): stops at the first watched row."""
    if session.info.get(_CHANGED):
        return
    watched = _watched()
    changed = chain(session.new, session.dirty, session.deleted)
    if any(isinstance(obj, watched) and _shown(obj) for obj in changed):
        session.info[_CHANGED] = True


def _shown(obj):
    """A domain's re-check, which only notes its time and finding, changes no page."""
    from app.models.domain import CustomDomain, serving_changed

    return not isinstance(obj, CustomDomain) or serving_changed(obj)


def _note_bulk_changes(state):
    """An UPDATE or DELETE statement on a watched model changes rows no flush shows."""
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None \
            and issubclass(mapper.class_, _watched()):
        state.session.info[_CHANGED] = True


def _bump_if_changed(session):
    if session.info.pop(_CHANGED, False):
        bump()


def _forget_changes(session):
    session.info.pop(_CHANGED, None)
