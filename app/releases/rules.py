"""What staff do to a release: schedule it, announce, archive, move its dates.

Shared by the admin, the API and the CLI so the rules live in one place.
"""
from datetime import datetime, time, timedelta

from flask import url_for
from sqlalchemy import case, func, select

from app.extensions import db
from app.localtime import now_utc, to_utc, zone
from app.models import PreSave, Release
from app.models.presave import PENDING
from app.models.release import (ANNOUNCED, ARCHIVED, DRAFT, KINDS, PRESAVE_ACTIVE, RELEASED,
                                SINGLE, ReleaseStatusChange)
from app import audit, validation
from app.domains.urls import fan_url
from app.releases import links as streaming_links
from app.releases import signals
from app.releases.state import state_for
from app.presaves import record as presaves


class TransitionError(ValueError):
    """The action does not apply to the release in its current status."""


YEARS = range(1900, 3000)  # far from datetime's limits, so any zone offset still fits


def parse_local(value, default_time=None):
    """A local date-time from a form or API string ('2026-12-04T00:00' or a date)."""
    if isinstance(value, datetime):
        return _plausible(value.replace(tzinfo=None, second=0, microsecond=0))
    text = str(value or "").strip()
    if not text:
        raise ValueError("A date is required")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a date-time like 2026-12-04T00:00") from None
    if parsed.tzinfo is not None:
        raise ValueError("Give the local time without an offset; the release's time zone applies")
    if len(text) == 10 and default_time is not None:
        parsed = datetime.combine(parsed.date(), default_time)
    return _plausible(parsed.replace(second=0, microsecond=0))


def _plausible(local):
    if local.year not in YEARS:
        raise ValueError(f"{local.date().isoformat()} is out of range: "
                         f"give a year between {YEARS.start} and {YEARS.stop - 1}")
    return local


def schedule(release, presave_opens_local, release_local, tz_name, *, must_be_future=True):
    """Set local dates and zone, derive the UTC instants; ValueError when they do not fit."""
    validation.timezone_name(tz_name)
    opens = to_utc(parse_local(presave_opens_local), tz_name)
    releases = to_utc(parse_local(release_local, default_time=time(0, 0)), tz_name)
    if opens.utc >= releases.utc:
        raise ValueError("The pre-save must open before the release")
    if must_be_future and releases.utc <= now_utc():
        raise ValueError("The release date must be in the future")
    release.timezone = tz_name
    release.presave_opens_local, release.presave_opens_at = opens.local, opens.utc
    release.release_local, release.release_at = releases.local, releases.utc
    release.timing_notes = "\n".join(n for n in (opens.note, releases.note) if n) or None
    return release


def check_kind(kind, upc):
    """ValueError when ``kind`` is unknown, or an EP or album has no UPC (it is found and
    saved by it)."""
    if kind not in dict(KINDS):
        raise ValueError("A release is a single, an EP or an album")
    if kind != SINGLE and not upc:
        raise ValueError(f"An {dict(KINDS)[kind]} needs its UPC: it is found and saved by it")


def set_codes(release, kind, isrc, upc):
    """What the release is and its codes (check_kind's ValueError). A change of kind or code
    forgets the items looked up with the old ones, so the next look-up finds what the
    release now is."""
    check_kind(kind, upc)
    changed = (release.kind, release.isrc, release.upc) != (kind, isrc, upc)
    release.kind, release.isrc, release.upc = kind, isrc, upc
    if changed and release.id is not None:
        streaming_links.forget_looked_up(release)


class SlugTaken(ValueError):
    """The artist already has another release at this slug."""


# The artist's own fan pages (/s/<artist>/me, /privacy): no release may sit at these.
FAN_PAGE_WORDS = frozenset({"me", "privacy"})


def slug_for(artist_id, slug, title, release_id=None):
    """The release's slug: the one given, unless another release of the artist has it (then
    SlugTaken); none given, the title's, numbered past the artist's other releases."""
    with db.session.no_autoflush:  # the release asking may not be complete yet
        stmt = select(Release.slug).where(Release.artist_id == artist_id)
        if release_id is not None:
            stmt = stmt.where(Release.id != release_id)
        taken = set(db.session.scalars(stmt))
    if slug in FAN_PAGE_WORDS:
        raise SlugTaken(f"'{slug}' is the address of a page of its own on every artist's fan "
                        "pages; choose another slug")
    taken |= FAN_PAGE_WORDS
    if slug:
        if slug in taken:
            raise SlugTaken(f"This artist already has a release at '{slug}'; choose another slug")
        return slug
    base = validation.slugify(title)
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base[:75].rstrip('-')}-{number}"
    return slug


def create(release, artist, actor):
    """A new release of ``artist``: a draft, with that as the first line of its status
    history. The admin, the API and the CLI all create releases through here."""
    release.artist = artist
    release.status = None  # before the first line of history
    db.session.add(release)
    audit.record("release.created", release)
    record(release, DRAFT, actor)
    return release


def record(release, to_status, actor, note=None):
    """Change status and keep who or what did it (``note``: what else changed, in words)."""
    artist = release.artist
    audit.record("release.status_changed", release)  # unless the action has a name of its own
    change = ReleaseStatusChange(release=release, label_id=artist.label_id, artist_id=artist.id,
                                 from_status=release.status,
                                 to_status=to_status, actor=actor, at=now_utc(), note=note)
    release.status = to_status
    db.session.add(change)
    return change


def next_instant(release):
    """(name, UTC instant) the release counts down to: opening or release, whichever is ahead."""
    if release.status == ARCHIVED:
        return None
    now = now_utc()
    ahead = [(name, at) for name, at in (("Pre-save opens", release.presave_opens_at),
                                          ("Release", release.release_at)) if at > now]
    return ahead[0] if ahead else None


def ledger_counts(release, action=None):
    """{platform: {state: count}} of the release's pre-saves (of one action when given);
    pending rows with attempts count as "retrying", as staff see them."""
    state = case(((PreSave.state == PENDING) & (PreSave.attempts > 0), "retrying"),
                 else_=PreSave.state)
    stmt = select(PreSave.platform, state, func.count()).where(PreSave.release_id == release.id)
    if action is not None:
        stmt = stmt.where(PreSave.action == action)
    rows = db.session.execute(stmt.group_by(PreSave.platform, state).order_by(PreSave.platform))
    counts = {}
    for platform, shown, count in rows:
        counts.setdefault(platform, {})[shown] = count
    return counts


def next_attempt(release):
    """When the release's next pending pre-save is due, or None."""
    return db.session.scalar(select(func.min(PreSave.next_attempt_at)).where(
        PreSave.release_id == release.id, PreSave.state == PENDING))


def announce(release, actor):
    if release.status != DRAFT:
        raise TransitionError(f"Only a draft can be announced; this release is {release.status_label}")
    audit.record("release.announced", release)
    record(release, ANNOUNCED, actor)
    advance(release, "clock")
    _schedule(release)
    return release


def advance(release, actor):
    """Move an announced or active release to where the clock says it is."""
    if release.status in (DRAFT, ARCHIVED):
        return release
    order = [ANNOUNCED, PRESAVE_ACTIVE, RELEASED]
    target = state_for(release).clock
    if release.status in order and order.index(target) > order.index(release.status):
        record(release, target, actor)
    return release


def archive(release, actor):
    if release.status == ARCHIVED:
        raise TransitionError("This release is already archived")
    audit.record("release.archived", release)
    record(release, ARCHIVED, actor)
    return release


def change_dates(release, presave_opens_local, release_local, tz_name, actor, release_mode=None):
    """New dates, zone or mode: the lifecycle job and the pending pre-saves follow."""
    if release.status in (RELEASED, ARCHIVED):
        raise TransitionError("The dates of a released or archived release cannot change")
    audit.record("release.dates_changed", release)
    previous = (release.presave_opens_at, release.release_at)
    schedule(release, presave_opens_local, release_local, tz_name)
    release.release_mode = release_mode or release.release_mode
    if release.status == PRESAVE_ACTIVE and state_for(release).clock == ANNOUNCED:
        record(release, ANNOUNCED, actor)  # opening moved into the future: back to "Coming Soon"
    advance(release, actor)
    presaves.reschedule_pending(release)
    _schedule(release, replacing=previous)
    return release


def _schedule(release, replacing=()):
    db.session.flush()  # the job needs the release id
    signals.instants_changed.send(release, replacing=replacing)


def fan_page_url(release):
    return fan_url(release.artist, f"/{release.slug}")


def artwork_url(release):
    return image_url(release.artwork)


def image_url(name):
    """Where a stored image (app.uploads) is served, or None for none."""
    return url_for("media.file", name=name) if name else None


NOT_RELEASABLE = {DRAFT: "A draft cannot be released: announce it first",
                  RELEASED: "This release is already out",
                  ARCHIVED: "An archived release cannot be released again"}


def release_now(release, actor):
    """A surprise drop: the release instant becomes now (to the minute), pending pre-saves move
    to it, the old lifecycle job is cancelled, and release day starts. Commits first, since
    the release-day job reads the released status."""
    if release.status in NOT_RELEASABLE:
        raise TransitionError(NOT_RELEASABLE[release.status])
    audit.record("release.released_now", release)
    previous = (release.presave_opens_at, release.release_at)
    _move_release_to(release, now_utc().replace(second=0, microsecond=0))
    advance(release, actor)
    presaves.reschedule_pending(release)
    _schedule(release, replacing=previous)
    db.session.commit()
    signals.released_now.send(release)
    return release


def _move_release_to(release, instant):
    """Release at ``instant``; an opening still ahead moves to the minute before it."""
    def wall(at):
        return at.astimezone(zone(release.timezone)).replace(tzinfo=None)

    opens = min(release.presave_opens_at, instant - timedelta(minutes=1))
    release.presave_opens_at, release.presave_opens_local = opens, wall(opens)
    release.release_at, release.release_local = instant, wall(instant)
    release.timing_notes = None  # they were about the old local times
