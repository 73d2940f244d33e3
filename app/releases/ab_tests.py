"""A/B tests of a release's fan page: what staff may do with a test, and when.

A release has at most one open test (draft or running). The first variant staff add opens a
draft with variant A, the release as it is (the control), beside it; up to four in all. A
draft's variants may be changed or removed; a running test's may not (the numbers would mix
two pages), only stopped. "Choose winner" ends a test: the winner's artwork and words become
the release's own. A test still running at the release instant stops there (the released
page shows the release's own artwork).
"""
from sqlalchemy import select

from app.extensions import db
from app.localtime import now_utc
from app.models import AbTest, AbVariant
from app.models.ab_test import CONTROL, DECIDED, DRAFT, KEYS, OPEN, RUNNING, STOPPED
from app.models.release import ARCHIVED, DESCRIPTION_MAX, HEADLINE_MAX, RELEASED
from app.releases.rules import TransitionError, record
from app.uploads import store_image

NAME_MAX = 80
MAX_WEIGHT = 100
CONTROL_NAME = "The release as it is"


class TestStateError(TransitionError):
    """What was asked does not fit the test's state (a conflict, not a bad value)."""


def open_test(release):
    """The release's draft or running test, or None."""
    return db.session.scalars(select(AbTest).where(
        AbTest.release_id == release.id, AbTest.state.in_(OPEN))).first()


def latest_test(release):
    """The release's open test, else its last one, else None."""
    return open_test(release) or db.session.scalars(
        select(AbTest).where(AbTest.release_id == release.id)
        .order_by(AbTest.id.desc())).first()


def variant(test, key):
    return next((v for v in test.variants if v.key == key), None) if test else None


def add_variant(release, name, headline=None, description=None, weight=1):
    """A new variant in the release's draft (opened, with its control, when there is none);
    the variant. TestStateError while a test runs or when four are there already."""
    if release.status in (RELEASED, ARCHIVED):
        raise TestStateError("A released or archived release is not tested any more")
    test = open_test(release)
    if test is not None and test.state == RUNNING:
        raise TestStateError("The test is running: stop it before changing its variants")
    if test is None:
        test = AbTest(label_id=release.label_id, artist_id=release.artist_id,
                      release_id=release.id, state=DRAFT)
        test.variants.append(_variant(test, CONTROL, CONTROL_NAME))
        db.session.add(test)
    taken = {v.key for v in test.variants}
    free = [key for key in KEYS if key not in taken]
    if not free:
        raise TestStateError(f"A test has at most {len(KEYS)} variants, the control included")
    added = _variant(test, free[0], name, headline, description, weight)
    test.variants.append(added)
    db.session.flush()
    return added


def _variant(test, key, name, headline=None, description=None, weight=1):
    row = AbVariant(label_id=test.label_id, artist_id=test.artist_id, key=key)
    _apply(row, name=name, headline=headline, description=description, weight=weight)
    return row


def change_variant(test, key, **changes):
    """New name, words or weight for a draft's variant (the control keeps the release's own
    words: only its name and weight change)."""
    row = _draft_variant(test, key)
    if key == CONTROL and (changes.get("headline") or changes.get("description")):
        raise TestStateError("Variant A is the release as it is: change the release's own "
                             "words instead, or add a variant")
    _apply(row, **changes)
    return row


def remove_variant(test, key):
    row = _draft_variant(test, key)
    if key == CONTROL:
        raise TestStateError("Variant A, the release as it is, stays in every test")
    test.variants.remove(row)
    return row


def set_artwork(test, key, upload_bytes):
    """The variant's own artwork (checked like the release's)."""
    row = _draft_variant(test, key)
    if key == CONTROL:
        raise TestStateError("Variant A shows the release's own artwork")
    row.artwork = store_image(upload_bytes)
    return row


def _draft_variant(test, key):
    if test is None or test.state != DRAFT:
        raise TestStateError("Only a draft's variants can change: "
                             + ("there is no draft" if test is None else
                                "stop this test and start another"))
    row = variant(test, key)
    if row is None:
        raise LookupError(f"No variant {key} in this test")
    return row


def _apply(row, **changes):
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name or len(name) > NAME_MAX:
            raise ValueError(f"Name the variant (at most {NAME_MAX} characters)")
        row.name = name
    for field, limit in (("headline", HEADLINE_MAX), ("description", DESCRIPTION_MAX)):
        if field in changes:
            value = (changes[field] or "").strip() or None
            if value is not None and len(value) > limit:
                raise ValueError(f"The {field} is at most {limit} characters")
            setattr(row, field, value)
    if "weight" in changes:
        weight = changes["weight"]
        if isinstance(weight, bool) or not isinstance(weight, int) \
                or not 1 <= weight <= MAX_WEIGHT:
            raise ValueError(f"The weight is a whole number from 1 to {MAX_WEIGHT}")
        row.weight = weight


MAX_MIN_PRESAVES = 1_000_000


def start(release, auto_stop=None, min_presaves=None):
    """The draft runs; ``auto_stop``: it stops by itself once a winner is clear and each
    variant has ``min_presaves`` pre-savers (app.jobs.ab_looks)."""
    test = open_test(release)
    if test is None or test.state != DRAFT:
        raise TestStateError("There is no draft to start" if test is None
                             else "The test is running already")
    if release.status in (RELEASED, ARCHIVED):
        raise TestStateError("A released or archived release is not tested any more")
    if len(test.variants) < 2:
        raise TestStateError("Add a variant to test against the release as it is")
    if min_presaves is not None:
        if isinstance(min_presaves, bool) or not isinstance(min_presaves, int) \
                or not 1 <= min_presaves <= MAX_MIN_PRESAVES:
            raise ValueError(f"min_presaves is a whole number from 1 to {MAX_MIN_PRESAVES:,}")
        test.min_presaves = min_presaves
    if auto_stop is not None:
        test.auto_stop = bool(auto_stop)
    test.state, test.started_at = RUNNING, now_utc()
    db.session.flush()
    release.ab_test_id = test.id  # the page's one look at whether a test runs
    return test


def stop(release):
    test = open_test(release)
    if test is None or test.state != RUNNING:
        raise TestStateError("No test is running")
    test.state, test.stopped_at = STOPPED, now_utc()
    release.ab_test_id = None
    return test


def stop_at_release(release):
    """A test still running when the release comes out stops there: the released page is
    the release's own. The test, when one was stopped."""
    test = open_test(release)
    if test is None or test.state != RUNNING:
        return None
    test.state, test.stopped_at = STOPPED, now_utc()
    release.ab_test_id = None
    return test


def choose_winner(release, key, actor="staff"):
    """The winner's artwork and words become the release's own, and the test ends; the
    release's history says so."""
    test = latest_test(release)
    if test is None or test.state not in (RUNNING, STOPPED):
        raise TestStateError("Only a running or stopped test has a winner to choose")
    winner = variant(test, key)
    if winner is None:
        raise LookupError(f"No variant {key} in this test")
    taken = [field for field in ("artwork", "headline", "description") if getattr(winner, field)]
    for field in taken:
        setattr(release, field, getattr(winner, field))
    record(release, release.status, actor, note=(
        f"A/B test: variant {key} (“{winner.name}”) won"
        + (f"; its {_and(taken)} became the release's own" if taken else
           "; the page stays as it was")))
    test.state, test.winner = DECIDED, key
    test.stopped_at = test.stopped_at or now_utc()
    release.ab_test_id = None
    return test


def _and(words):
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def as_dict(test):
    """The test and its variants as the API shows them."""
    return {"id": test.id, "state": test.state, "auto_stop": test.auto_stop,
            "min_presaves": test.min_presaves, "winner": test.winner,
            "started_at": test.started_at, "stopped_at": test.stopped_at,
            "clear_at": test.clear_at, "looked_at": test.looked_at,
            "variants": [{"key": v.key, "name": v.name, "headline": v.headline,
                          "description": v.description, "artwork": v.artwork,
                          "weight": v.weight, "share": v.weight / sum(
                              x.weight for x in test.variants)} for v in test.variants]}
