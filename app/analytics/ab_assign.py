"""Which variant of a release page's A/B test a visitor sees: the same each time they come.

The variant is drawn from a hash of the test and the visitor: a fan this browser is known as
(the fan cookie, for as long as it lasts), anyone else by the day's visitor hash
(app.visitors), so the same all day without a cookie of its own. The weights split
the visitors (equal weights: evenly). Crawlers and link-preview bots see the release as it
is and are counted nowhere. Nothing is looked up when no test runs (release.ab_test_id).
"""
import hashlib
from collections import namedtuple

from flask import g, request
from sqlalchemy import select

from app import visitors
from app.analytics import useragents
from app.extensions import db
from app.localtime import now_utc
from app.models import AbVariant


Shown = namedtuple("Shown", "key weight artwork headline description")
# (release id, test id) -> the test's variants, read once per process: a running test's
# variants cannot change (app.releases.ab_tests), and a stopped test is no release's
# ab_test_id any more.
_RUNNING = {}
KEPT_TESTS = 256


def variants(release, load=True):
    """The running test's variants (Shown), or None when no test runs; with ``load=False``
    also None when this process has not read them yet (the fast lane reads nothing)."""
    test_id = release.ab_test_id
    if not test_id:
        return None
    found = _RUNNING.get((release.id, test_id))
    if found is None and load:
        found = tuple(Shown(row.key, row.weight, row.artwork, row.headline, row.description)
                      for row in db.session.scalars(select(AbVariant).where(
                          AbVariant.test_id == test_id).order_by(AbVariant.key)))
        if len(_RUNNING) >= KEPT_TESTS:
            _RUNNING.clear()
        _RUNNING[(release.id, test_id)] = found
    return found


def ready(release):
    """Whether a page view of the release needs nothing from the database to pick a
    variant: no test runs, or this process knows the test's variants already."""
    return not release.ab_test_id or (release.id, release.ab_test_id) in _RUNNING


def pick(test_id, rows, visitor_key):
    """The variant of ``rows`` that ``visitor_key`` gets in test ``test_id``, by weight."""
    total = sum(row.weight for row in rows)
    digest = hashlib.sha256(f"{test_id}|{visitor_key}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") % total
    for row in rows:
        if point < row.weight:
            return row
        point -= row.weight
    return rows[-1]


def shown(release):
    """The variant this request's visitor sees (a Shown), or None: no test, or a bot."""
    rows = variants(release)
    if not rows or useragents.is_bot(request.user_agent.string):
        return None
    return pick(release.ab_test_id, rows, visitor_key())


def shown_key(release):
    row = shown(release)
    return row.key if row is not None else None


def visitor_key():
    """The fan this browser is known as, else today's visitor hash."""
    fan_id = g.get("fan_id")
    if fan_id:
        return f"fan:{fan_id}"
    return visitors.visitor_hash(request.remote_addr, request.user_agent.string, now_utc().date())
