"""Migration 0009 fills the click totals of a database that already holds events, keyed exactly
as the ingest keys them (a rebuild from the raw events gives the same rows)."""
from datetime import datetime

from flask_migrate import upgrade
from sqlalchemy import select

from app import create_app
from app.analytics import rollups
from app.extensions import db
from app.models import Artist, EventTotalPlatformCountry as Totals, Label, Release
from app.releases import rules as release_rules
from app.tenants.context import Scope, scoped
from tests.analytics_data import DAY1, event
from tests.old_schema import as_of_this_revision


def totals(release_id):
    stmt = select(Totals.kind, Totals.platform, Totals.country, Totals.count).where(
        Totals.release_id == release_id)
    return {row[:3]: row[3] for row in db.session.execute(stmt)}


def release_at_0008():
    label_id = as_of_this_revision(Label(name="Before 0009", slug="before-0009", timezone="UTC"))
    artist_id = as_of_this_revision(Artist(label_id=label_id, name="Quay Lights",
                                           slug="quay-0008", timezone="UTC"),
                                    follow_on_spotify=False)
    release = Release(label_id=label_id, artist_id=artist_id, title="Tidewater",
                      slug="tide-0008", platforms=["spotify", "deezer"], status="draft")
    release_rules.schedule(release, datetime(2026, 2, 1), datetime(2026, 4, 1), "UTC",
                           must_be_future=False)
    release.id = as_of_this_revision(release)
    return release


def test_the_migration_counts_the_events_already_stored(app, tmp_path):
    old = create_app("config.TestConfig", REDIS_URL=app.config["REDIS_URL"],
                     SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'before-0009.db'}")
    with old.app_context():
        upgrade(revision="0008")
        with scoped(Scope.platform("test")):
            release = release_at_0008()
            for row in [
                *[event(release, "stream_click", DAY1, platform="spotify", country="IN")
                  for _ in range(3)],
                event(release, "stream_click", DAY1, platform=" deezer ", country="in"),
                event(release, "platform_click", DAY1, platform="deezer", country="JP"),
                event(release, "stream_click", DAY1, platform="tidal"),  # no country
                event(release, "page_view", DAY1, country="IN"),  # no platform
            ]:
                as_of_this_revision(row)
            db.session.commit()
            release_id = release.id
        upgrade()
        with scoped(Scope.platform("test")):
            filled = totals(release_id)
            assert filled == {
                ("stream_click", "spotify", "IN"): 3, ("stream_click", "deezer", "IN"): 1,
                ("platform_click", "deezer", "JP"): 1, ("stream_click", "tidal", ""): 1,
                ("page_view", "", "IN"): 1}
            rollups.rebuild(release_id)
            db.session.commit()
            assert totals(release_id) == filled
        db.engine.dispose()
