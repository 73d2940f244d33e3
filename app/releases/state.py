"""Is the release out? The one place that says, for the staff, the clock, the page and /go/.

The stored status is what staff and the API see; the clock moves it (status_for_clock, and
behind_the_clock, the same rule in SQL, for the reconciler). The fan page follows the clock,
not the stored status: the status catches up within the reconciler's minute, the page must
not. In local mode a release is out at midnight of its release date in the visitor's own zone
(the release's zone when GeoIP knows none), the instant that visitor's pre-save runs.
"""
from app.localtime import now_utc
from app.models import Release
from app.models.release import ANNOUNCED, ARCHIVED, PRESAVE_ACTIVE, RELEASED
from app.presaves.record import delivery_instant

SOON, PRESAVE, DUE, STREAM = "soon", "presave", "due", "stream"


def status_for_clock(release, now=None):
    """Where an announced release stands by the clock."""
    now = now or now_utc()
    if now >= release.release_at:
        return RELEASED
    if now >= release.presave_opens_at:
        return PRESAVE_ACTIVE
    return ANNOUNCED


def behind_the_clock(now):
    """SQL: the announced or active releases whose status_for_clock(release, now) is ahead of
    their stored status."""
    return (((Release.status == ANNOUNCED) & (Release.presave_opens_at <= now))
            | (Release.status.in_([ANNOUNCED, PRESAVE_ACTIVE]) & (Release.release_at <= now)))


def accepts_presaves(release):
    """The pre-save handler takes a fan's pre-save only while the stored status is active."""
    return release.status == PRESAVE_ACTIVE


def out_at(release, zone=None):
    """The instant the release is out for a visitor in ``zone``."""
    return delivery_instant(release, zone)


def page_state(release, zone=None, now=None):
    """What a visitor in ``zone`` sees: soon | presave | due (released elsewhere, not yet
    here) | stream."""
    if release.status == ARCHIVED or (now or now_utc()) >= out_at(release, zone):
        return STREAM
    if release.status == RELEASED and release.release_mode != "local":
        return STREAM  # released by hand: out everywhere at once
    if release.status == ANNOUNCED:
        return SOON  # the opening waits for the status: the pre-save handler checks it
    return PRESAVE if accepts_presaves(release) else DUE
