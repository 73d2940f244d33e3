"""Is the release out? The one place that says, for the staff, the clock, the page and /go/.

state_for(release, now, zone) answers every form of the question from one reading of the
clock. The stored status is what staff and the API see; the clock moves it (CLOCK: the
rule, read by state_for for one release and by behind_the_clock as SQL for the reconciler).
The fan page follows the clock, not the stored status: the status catches up within the
reconciler's minute, the page must not. In local mode a release is out at midnight of its
release date in the visitor's own zone (the release's zone when GeoIP knows none), the
instant that visitor's pre-save runs.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_

from app.localtime import now_utc
from app.models import Release
from app.models.release import ANNOUNCED, ARCHIVED, PRESAVE_ACTIVE, RELEASED
from app.presaves.record import delivery_instant

SOON, PRESAVE, DUE, STREAM = "soon", "presave", "due", "stream"

# The clock's moves, latest first: (the status it gives, the instant, the statuses it moves).
CLOCK = ((RELEASED, "release_at", (ANNOUNCED, PRESAVE_ACTIVE)),
         (PRESAVE_ACTIVE, "presave_opens_at", (ANNOUNCED,)))


@dataclass(frozen=True)
class ReleaseState:
    clock: str  # the status the clock says: announced | presave_active | released
    page: str  # what the visitor sees: soon | presave | due (out elsewhere, not here) | stream
    out_at: datetime  # the instant it is out for this visitor
    accepts_presaves: bool  # the pre-save handler takes one: only while the stored status is active


def state_for(release, now=None, zone=None) -> ReleaseState:
    """Where ``release`` stands at ``now`` (this instant) for a visitor in ``zone``."""
    now = now or now_utc()
    out = delivery_instant(release, zone)
    accepts = release.status == PRESAVE_ACTIVE
    return ReleaseState(_clock_status(release, now), _page(release, now, out, accepts), out,
                        accepts)


def behind_the_clock(now):
    """SQL: the releases whose stored status the clock has moved on from (CLOCK)."""
    return or_(*(Release.status.in_(moves) & (getattr(Release, instant) <= now)
                 for _, instant, moves in CLOCK))


def _clock_status(release, now):
    return next((status for status, instant, _ in CLOCK if now >= getattr(release, instant)),
                ANNOUNCED)


def _page(release, now, out, accepts):
    if release.status == ARCHIVED or now >= out:
        return STREAM
    if release.status == RELEASED and release.release_mode != "local":
        return STREAM  # released by hand: out everywhere at once
    if release.status == ANNOUNCED:
        return SOON  # the opening waits for the status: the pre-save handler checks it
    return PRESAVE if accepts else DUE
