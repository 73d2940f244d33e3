"""The demo releases are in the sandbox's catalogue, so the offline demo delivers for real."""
from sqlalchemy import select

from app.cli.demo import register_in_sandbox
from app.extensions import db
from app.models import Artist, Release
from app.platform_table import PLATFORM_KEYS
from app.sandbox import state
from app.tenants.context import Scope, scoped


def test_every_demo_release_is_found_by_isrc_on_every_platform(app):
    with app.app_context(), scoped(Scope.platform("test")):
        register_in_sandbox(echo=lambda *_: None)  # idempotent: a second call adds nothing
        release = db.session.scalars(select(Release).join(Release.artist).where(
            Artist.slug == "aurora-vale", Release.slug == "tonight")).one()
        for platform in PLATFORM_KEYS:
            found = state.find_catalog(platform, isrc=release.isrc)
            assert [item["title"] for item in found] == ["Midnight Drive"], platform


def test_a_demo_release_already_out_comes_with_the_history_of_its_link_look_ups(app, caplog):
    """What its release day's look-ups found, their 72 hours over; nothing left to do (or to
    warn about) when the instance starts."""
    from app.extensions import queue
    from app.jobs.links import GIVE_UP_AFTER, LINKS_QUEUE, enqueue_due
    from app.platforms.web_links import belongs

    with app.app_context(), scoped(Scope.platform("test")):
        release = db.session.scalars(select(Release).join(Release.artist).where(
            Artist.slug == "juniper-kites", Release.slug == "out-now")).one()
        links = {link.platform: link for link in release.links}
        assert {"spotify", "apple_music", "deezer", "tidal", "youtube_music"} <= set(links)
        for platform, link in links.items():
            assert link.item_id and link.found_at <= release.release_at + GIVE_UP_AFTER
            assert belongs(link.url.split("/")[2], platform), link.url
        assert release.links_next_check_at is None
        assert release.links_checked_at == release.release_at + GIVE_UP_AFTER
        caplog.set_level("WARNING")
        enqueue_due()
        waiting = queue(LINKS_QUEUE).job_ids
        assert not [job for job in waiting if job.startswith(f"release-{release.id}-links")]
        assert "gave up" not in caplog.text


def test_the_demo_ep_is_in_the_catalogue_as_an_album_with_its_tracks(app, tmp_path):
    """On a database of its own: the suite's shared one goes through a migration round trip
    (test_accounts_migration) that gives columns added later their defaults back."""
    from flask_migrate import upgrade

    from app import create_app
    from app.cli.commands import sync_roles_and_permissions
    from app.cli.demo import load_demo
    from app.platforms.catalogue import find
    from app.platforms.registry import platform_for
    from tests.support import fresh_database

    with fresh_database(app, tmp_path) as uri:
        fresh = create_app("config.TestConfig", REDIS_URL=app.config["REDIS_URL"],
                           SQLALCHEMY_DATABASE_URI=uri)
        with fresh.app_context(), scoped(Scope.platform("test")):
            upgrade()
            sync_roles_and_permissions()
            load_demo(echo=lambda *_: None, fans=0)
            release = db.session.scalars(select(Release).join(Release.artist).where(
                Artist.slug == "aurora-vale", Release.slug == "coming-soon")).one()
            assert (release.kind, release.is_album, len(release.upc)) == ("ep", True, 12)
            for platform in ("spotify", "apple_music", "deezer", "tidal"):
                (album,) = state.find_catalog(platform, upc=release.upc)
                tracks = state.album_tracks(platform, album)
                assert [t["title"] for t in tracks] == ["Northern Lights", "Aurora", "Polar Night",
                                                        "Snowline"], platform
                assert tracks[0]["isrc"] == release.isrc  # the focus track
            with platform_for(release.label_id, "spotify") as client:
                match = find(client, release)
            assert (match.item.kind, match.source) == ("album", "upc")
            focus = {link.platform: (link.item_kind, link.source) for link in release.links}
            assert focus == {"youtube_music": ("track", "manual"),
                             "amazon_music": ("track", "manual")}  # its focus track there
            db.engine.dispose()


def test_a_demo_made_just_before_midnight_brings_tonight_out_the_night_after(app, tmp_path):
    """A demo (or a test run) started at 23:30 in London would otherwise see its pre-save
    flip to "Stream now" half an hour later; in New York, 18:30, midnight is still tonight."""
    from datetime import datetime, timezone

    from flask_migrate import upgrade

    from app import create_app
    from app.cli.commands import sync_roles_and_permissions
    from app.cli.demo import load_demo
    from app.localtime import frozen
    from tests.support import fresh_database

    with fresh_database(app, tmp_path) as uri:
        fresh = create_app("config.TestConfig", REDIS_URL=app.config["REDIS_URL"],
                           SQLALCHEMY_DATABASE_URI=uri)
        with fresh.app_context(), scoped(Scope.platform("test")), \
                frozen(datetime(2026, 12, 7, 23, 30, tzinfo=timezone.utc)):
            upgrade()
            sync_roles_and_permissions()
            load_demo(echo=lambda *_: None, fans=0)
            due = {artist: db.session.scalars(select(Release).join(Release.artist).where(
                       Artist.slug == artist, Release.slug == "tonight")).one().release_at
                   for artist in ("aurora-vale", "marlow-shore")}
            assert due == {"aurora-vale": datetime(2026, 12, 9, 0, 0, tzinfo=timezone.utc),
                           "marlow-shore": datetime(2026, 12, 8, 5, 0, tzinfo=timezone.utc)}
            db.engine.dispose()
