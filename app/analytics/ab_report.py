"""A release's A/B test in numbers: per variant, the visitors who saw it, clicked a platform
and completed a pre-save (from the analytics events, each of which carries its variant), and
the readout against variant A (app.analytics.ab_readout) as of now.

A visitor is a visitor hash: the same browser all day, another one the next day, so someone
who comes back on two days counts twice (as they do in the funnel). Only events from the
test's start (to its end) count; bots were never recorded.
"""
from types import SimpleNamespace

from sqlalchemy import distinct, func, select

from app.analytics.ab_readout import MIN_VISITORS, compare
from app.extensions import db
from app.models import AbTest, Event
from app.models.ab_test import CONTROL

VIEW, CLICK, PRESAVE = "page_view", "platform_click", "presave_completed"


def report(release):
    """The release's last test with its numbers, or None when it never had one."""
    test = db.session.scalars(select(AbTest).where(AbTest.release_id == release.id)
                              .order_by(AbTest.id.desc())).first()
    if test is None:
        return None
    arms, readout = numbers(release, test)
    return {"test_id": test.id, "state": test.state, "winner": test.winner,
            "auto_stop": test.auto_stop, "min_presaves": test.min_presaves,
            "started_at": test.started_at, "stopped_at": test.stopped_at,
            "clear_at": test.clear_at, "looked_at": test.looked_at, "variants": arms,
            "readout": [_shown(comparison) for comparison in readout],
            "days": daily(release, test)}


def numbers(release, test):
    """(per variant: its counts, [Comparison] of each variant against A), with the best
    evidence of the looks kept so far (test.peaks) and of this one."""
    counts = _counts(release, test)
    arms = []
    for variant in test.variants:
        seen = counts.get((variant.key, VIEW), (0, 0))
        arms.append({"key": variant.key, "name": variant.name, "page_views": seen[0],
                     "visitors": seen[1], "clickers": counts.get((variant.key, CLICK), (0, 0))[1],
                     "presavers": counts.get((variant.key, PRESAVE), (0, 0))[1]})
    for arm in arms:
        arm["conversion"] = arm["presavers"] / arm["visitors"] if arm["visitors"] else None
    series = {arm["key"]: [(arm["visitors"], min(arm["presavers"], arm["visitors"]))]
              for arm in arms}
    if not test.started_at or CONTROL not in series:
        return arms, []
    return arms, compare(series, CONTROL, peaks=test.peaks)


def daily(release, test):
    """{variant: [(UTC day, visitors so far, pre-savers so far)]}: each visitor counted on
    the day they first saw the variant, or first pre-saved from it."""
    if test.started_at is None:
        return {}
    where = [Event.release_id == release.id, Event.variant.is_not(None),
             Event.kind.in_((VIEW, PRESAVE)), Event.occurred_at >= test.started_at]
    if test.stopped_at is not None:
        where.append(Event.occurred_at <= test.stopped_at)
    firsts = db.session.execute(
        select(Event.variant, Event.kind, func.min(Event.occurred_at)).where(*where)
        .group_by(Event.variant, Event.kind, Event.visitor_hash))
    per_day = {}
    for variant, kind, first in firsts:
        day = per_day.setdefault(variant, {}).setdefault(first.date(), [0, 0])
        day[0 if kind == VIEW else 1] += 1
    found = {}
    for variant, days in per_day.items():
        visitors = presavers = 0
        found[variant] = []
        for day in sorted(days):
            visitors, presavers = visitors + days[day][0], presavers + days[day][1]
            found[variant].append((day, visitors, presavers))
    return found


def _shown(comparison):
    return {name: value for name, value in vars(comparison).items() if name != "evidence"}


def _counts(release, test):
    """{(variant, kind): (events, distinct visitors)} over the test's time."""
    if test.started_at is None:
        return {}
    where = [Event.release_id == release.id, Event.variant.is_not(None),
             Event.kind.in_((VIEW, CLICK, PRESAVE)), Event.occurred_at >= test.started_at]
    if test.stopped_at is not None:
        where.append(Event.occurred_at <= test.stopped_at)
    rows = db.session.execute(
        select(Event.variant, Event.kind, func.count(), func.count(distinct(Event.visitor_hash)))
        .where(*where).group_by(Event.variant, Event.kind))
    return {(variant, kind): (events, visitors) for variant, kind, events, visitors in rows}


def in_words(comparison):
    """One plain sentence of what the readout (a comparison, as report() shows it) says about
    a variant against A."""
    v = SimpleNamespace(**comparison)
    if v.lift is None or v.low is None or v.visitors < MIN_VISITORS:
        return (f"Too few visitors yet: each variant needs {MIN_VISITORS:,} before anything "
                f"can be said ({v.variant} has {v.visitors:,}).")
    points = f"{abs(v.lift) * 100:.1f} points"
    span = f"between {v.low * 100:+.1f} and {v.high * 100:+.1f} points"
    if v.verdict == "better":
        return f"{v.variant} converts {points} better than A ({span}): a clear winner."
    if v.verdict == "worse":
        return f"{v.variant} converts {points} worse than A ({span}): clearly behind."
    ahead = "ahead of" if v.lift > 0 else "behind" if v.lift < 0 else "level with"
    return (f"Not clear yet: {v.variant} is {points} {ahead} A, but the range ({span}) "
            "still includes no difference. Keep the test running.")
