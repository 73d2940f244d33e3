"""Which hostname is whose: every label's domains, read once per change in each process.

A commit that changes a domain moves a counter in Redis; each process reads the rows again
when the counter moved (asking it at most every FAN_PAGE_RECHECK_MS), at once after a change of
its own. So a domain removed or moved stops serving here on the next request, and elsewhere
that much later."""
import logging
import time
from dataclasses import dataclass

from flask import current_app, has_app_context
from redis.exceptions import RedisError
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.extensions import db, redis_connection
from app.models import CustomDomain, Label
from app.models.domain import ACTIVE, serving_changed

EXTENSION = "custom_domains"
KEY = "domains:version"
log = logging.getLogger(__name__)
_CHANGED = "custom_domains_changed"


@dataclass(frozen=True)
class Known:
    hostname: str
    label_id: int
    state: str
    token: str


def find(host):
    """The domain ``host`` is (a Known), or None."""
    return _rows().get(host)


def active_host(label_id):
    """The hostname serving the label's fan pages, or None."""
    return next((known.hostname for known in _rows().values()
                 if known.label_id == label_id and known.state == ACTIVE), None)


def _rows():
    """The rows as last read, read again when the version in Redis moved (asked at most every
    FAN_PAGE_RECHECK_MS), or every second while Redis does not answer."""
    loaded = current_app.extensions.get(EXTENSION)  # (version, when asked, rows)
    now = time.monotonic()
    if loaded is not None and now - loaded[1] < current_app.config.get(
            "FAN_PAGE_RECHECK_MS", 0) / 1000:
        return loaded[2]
    version = _version()
    if loaded is not None and (version == loaded[0] if version is not None
                               else now - loaded[1] < 1):
        current_app.extensions[EXTENSION] = (version, now if version is not None else loaded[1],
                                             loaded[2])
        return loaded[2]
    rows = db.session.execute(
        select(CustomDomain.hostname, CustomDomain.label_id, CustomDomain.state,
               CustomDomain.token), execution_options={"all_tenants": True}).all()
    current_app.extensions[EXTENSION] = (version, now, {row.hostname: Known(*row)
                                                        for row in rows})
    return current_app.extensions[EXTENSION][2]


def _version():
    try:
        return int(redis_connection().get(KEY) or 0)
    except RedisError:
        return None


def install():
    """This process's commits that change a domain are read again at once."""
    if not event.contains(Session, "after_flush", _note):
        event.listen(Session, "after_flush", _note)
        event.listen(Session, "do_orm_execute", _note_bulk)
        event.listen(Session, "after_commit", _forget_if_changed)


def _note(session, flush_context):
    if any(isinstance(obj, CustomDomain) for obj in session.new) or any(
            isinstance(obj, CustomDomain) and serving_changed(obj) for obj in session.dirty) \
            or any(isinstance(obj, (CustomDomain, Label)) for obj in session.deleted):
        session.info[_CHANGED] = True  # (a label's removal takes its domains with it)


def _note_bulk(state):
    """An UPDATE or DELETE statement changes rows no flush shows."""
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None \
            and (mapper.class_ is CustomDomain or state.is_delete and mapper.class_ is Label):
        state.session.info[_CHANGED] = True


def _forget_if_changed(session):
    if session.info.pop(_CHANGED, False) and has_app_context():
        current_app.extensions.pop(EXTENSION, None)
        try:
            redis_connection().incr(KEY)
        except RedisError as exc:  # the others read the rows every second meanwhile
            log.warning("domain version not moved (%s)", exc.__class__.__name__)
