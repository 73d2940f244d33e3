"""A label's week at a glance, from the release rules: what drops, what is live, what needs
someone, and how the last release night went. Read through the caller's tenant scope, so a
label sees its own releases and the platform admin everyone's."""
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import PreSave, Release
from app.models.presave import FAILED, SAVE
from app.models.release import ANNOUNCED, ARCHIVED, DRAFT, PRESAVE_ACTIVE, RELEASED
from app.releases import ledger, readiness

WEEK = timedelta(days=7)
OPEN = (ANNOUNCED, PRESAVE_ACTIVE)
TOP_REASONS = 3


def drops(now, within=WEEK):
    """Public releases whose release instant falls in the coming week, soonest first."""
    return db.session.scalars(
        select(Release).where(Release.status.in_(OPEN), Release.release_at > now,
                              Release.release_at <= now + within)
        .order_by(Release.release_at, Release.id)).all()


def live_campaigns():
    """Releases taking pre-saves or announced, soonest release first."""
    return db.session.scalars(select(Release).where(Release.status.in_(OPEN))
                              .order_by(Release.release_at, Release.id)).all()


@dataclass(frozen=True)
class Action:
    """A release and what its readiness notices ask."""

    release: Release
    notices: list


def needing_action(now, may_do):
    """The releases, neither drafts nor archived, with readiness notices, the soonest release
    first, each notice addressed to its reader (``may_do`` as in readiness)."""
    releases = db.session.scalars(
        select(Release).where(Release.status.not_in((DRAFT, ARCHIVED)))
        .order_by(Release.release_at, Release.id)).all()
    found = ((release, readiness.warnings(release, now, may_do=may_do)) for release in releases)
    return [Action(release, notices) for release, notices in found if notices]


@dataclass(frozen=True)
class Night:
    """The last release night: the release, its saves by shown state, the commonest reasons
    for failures in words, and how many reminders were due."""

    release: Release
    states: dict
    saves: int
    reasons: list
    reminders: int


def last_release_night(now):
    release = db.session.scalar(
        select(Release).where(Release.status.in_((RELEASED, ARCHIVED)), Release.release_at <= now)
        .order_by(Release.release_at.desc(), Release.id.desc()).limit(1))
    if release is None:
        return None
    counts = ledger.counts(release)
    states = Counter()
    for row in counts["saves"]:
        states.update(row["states"])
    return Night(release, {state: states[state] for state in ledger.SHOWN_STATES},
                 sum(states.values()), _failure_reasons(release),
                 sum(row["total"] for row in counts["reminders"]))


def _failure_reasons(release):
    rows = db.session.execute(
        select(PreSave.platform, PreSave.last_error, func.count())
        .where(PreSave.release_id == release.id, PreSave.action == SAVE, PreSave.state == FAILED)
        .group_by(PreSave.platform, PreSave.last_error)).all()
    said = Counter()
    for platform, code, n in rows:
        said[ledger.plain_reason(code, platform) if code else "No reason recorded"] += n
    return said.most_common(TOP_REASONS)
