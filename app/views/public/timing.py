"""When a release is out for the visitor in front of the page, and so what the page shows.

The page follows the clock, not the stored status: the status catches up within the
reconciler's minute, the page must not. In local mode a release is out at midnight of
its release date in the visitor's own zone (the release's zone when GeoIP knows none),
the instant that visitor's pre-save runs.
"""
from app.localtime import now_utc
from app.models.release import ANNOUNCED, ARCHIVED, PRESAVE_ACTIVE, RELEASED
from app.presaves.record import delivery_instant

SOON, PRESAVE, DUE, STREAM = "soon", "presave", "due", "stream"


def out_at(release, zone=None):
    """The instant the release is out for a visitor in ``zone``."""
    return delivery_instant(release, zone)


def page_state(release, zone=None, now=None):
    """soon | presave | due (released elsewhere, not yet here) | stream."""
    if release.status == ARCHIVED or (now or now_utc()) >= out_at(release, zone):
        return STREAM
    if release.status == RELEASED and release.release_mode != "local":
        return STREAM  # released by hand: out everywhere at once
    if release.status == ANNOUNCED:
        return SOON  # the opening waits for the status: the pre-save handler checks it
    return PRESAVE if release.status == PRESAVE_ACTIVE else DUE
