"""One rule for "where does the release stand by the clock": the reconciler's SQL picks
exactly the releases whose clock status is ahead of the stored one."""
import itertools
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Artist, Release
from app.models.release import ANNOUNCED, ARCHIVED, DRAFT, PRESAVE_ACTIVE, RELEASED
from app.releases.state import behind_the_clock, state_for
from tests.lifecycle import T0, _unique, in_scope

ORDER = [ANNOUNCED, PRESAVE_ACTIVE, RELEASED]
OFFSETS = [timedelta(days=-2), timedelta(seconds=-1), timedelta(0), timedelta(seconds=1),
           timedelta(days=2)]


def test_the_reconcilers_sql_and_the_clock_status_agree(app, studio):
    with in_scope(app) as session:
        artist = session.get(Artist, studio[1])
        releases = []
        for status, opens, out in itertools.product(
                [DRAFT, ANNOUNCED, PRESAVE_ACTIVE, RELEASED, ARCHIVED], OFFSETS, OFFSETS):
            if out < opens:
                continue
            release = Release(artist=artist, title="Grid", slug=_unique("grid"), status=status,
                              platforms=["spotify"], timezone="UTC",
                              presave_opens_at=T0 + opens, release_at=T0 + out,
                              presave_opens_local=(T0 + opens).replace(tzinfo=None),
                              release_local=(T0 + out).replace(tzinfo=None))
            session.add(release)
            releases.append(release)
        session.flush()
        picked = set(session.scalars(select(Release.id).where(
            behind_the_clock(T0), Release.artist_id == artist.id)))
        ahead = {release.id for release in releases if release.status in ORDER[:2]
                 and ORDER.index(state_for(release, T0).clock) > ORDER.index(release.status)}
        db.session.rollback()
    assert ahead  # the grid holds releases on both sides of each instant
    assert picked == ahead
