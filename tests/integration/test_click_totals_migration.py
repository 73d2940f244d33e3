"""Migration 0009 fills the click totals of a database that already holds events, keyed exactly
as the ingest keys them (a rebuild from the raw events gives the same rows)."""
from flask_migrate import upgrade
from sqlalchemy import insert, select

from app import create_app
from app.analytics import rollups
from app.extensions import db
from app.models import EventTotalPlatformCountry as Totals, Label
from app.tenants.context import Scope, scoped
from tests.analytics_data import DAY1, event, new_artist, new_release


def totals(release_id):
    stmt = select(Totals.kind, Totals.platform, Totals.country, Totals.count).where(
        Totals.release_id == release_id)
    return {row[:3]: row[3] for row in db.session.execute(stmt)}


def label_at_0008():
    """A label row as revision 0008 knew it: the model's later columns are not there yet."""
    return db.session.execute(insert(Label.__table__).values(
        name="Before 0009", slug="before-0009", timezone="UTC", created_at=DAY1)
        .returning(Label.__table__.c.id)).scalar_one()


def test_the_migration_counts_the_events_already_stored(app, tmp_path):
    old = create_app("config.TestConfig", REDIS_URL=app.config["REDIS_URL"],
                     SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'before-0009.db'}")
    with old.app_context():
        upgrade(revision="0008")
        with scoped(Scope.platform("test")):
            release = new_release(new_artist(label_at_0008()))
            db.session.add_all([
                *[event(release, "stream_click", DAY1, platform="spotify", country="IN")
                  for _ in range(3)],
                event(release, "stream_click", DAY1, platform=" deezer ", country="in"),
                event(release, "platform_click", DAY1, platform="deezer", country="JP"),
                event(release, "stream_click", DAY1, platform="tidal"),  # no country
                event(release, "page_view", DAY1, country="IN"),  # no platform
            ])
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
