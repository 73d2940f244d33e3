"""Helpers for the Stream Now tests: releases at fixed instants, links, visitors by address."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.releases import rules as release_rules
from app.extensions import db
from app.localtime import now_utc
from app.models import Artist, Event, Label, Release, StreamingLink
from app.models.release import PRESAVE_ACTIVE
from app.tenants.context import Scope, scoped

UTC = timezone.utc
BROWSER = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
           "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")
# Public addresses the bundled GeoLite2 database places (country, zone).
MUMBAI, TOKYO, LONDON, NEW_YORK = "49.36.0.1", "133.242.0.1", "81.2.69.142", "24.24.24.24"
NOWHERE = "127.0.0.1"  # private: GeoIP knows nothing


def visitor(address):
    return {"environ_base": {"REMOTE_ADDR": address}, "headers": {"User-Agent": BROWSER}}


@pytest.fixture(scope="module")
def stream_studio(app):
    """(artist slug, artist id) of a label and artist only the module's tests use."""
    with app.app_context(), scoped(Scope.platform("test")):
        tag = uuid.uuid4().hex[:8]
        label = Label(name=f"Stream Tests {tag}", slug=f"stream-{tag}", timezone="Europe/London")
        db.session.add(label)
        db.session.flush()
        artist = Artist(label_id=label.id, name="Sea & Sky", slug=f"sea-sky-{tag}",
                        timezone="Europe/London")
        db.session.add(artist)
        db.session.commit()
        return artist.slug, artist.id


@pytest.fixture
def make_release(app, stream_studio):
    """make(release_local, ...) -> (page path, release id, release instant UTC); the status is
    set as staff or the clock left it, with no job scheduled: only the page's clock moves it."""
    def _make(release_local="2031-05-10T00:00", tz_name="Europe/London", *, mode="global",
              status=PRESAVE_ACTIVE, platforms=("spotify", "apple_music", "deezer", "tidal"),
              title="Blue Hour"):
        with app.app_context(), scoped(Scope.platform("test")):
            artist = db.session.get(Artist, stream_studio[1])
            release = Release(artist=artist, label_id=artist.label_id, title=title,
                              slug=f"r-{uuid.uuid4().hex[:8]}", platforms=list(platforms),
                              release_mode=mode, status="draft")
            out = datetime.fromisoformat(release_local)
            release_rules.schedule(release, out - timedelta(days=20), out, tz_name,
                                   must_be_future=False)
            db.session.add(release)
            release_rules.record(release, status, "test")
            db.session.commit()
            return f"/s/{artist.slug}/{release.slug}", release.id, release.release_at
    return _make


def add_link(app, release_id, platform, url, hidden=False):
    with app.app_context(), scoped(Scope.platform("test")):
        release = db.session.get(Release, release_id)
        db.session.add(StreamingLink(release_id=release.id, label_id=release.label_id,
                                     artist_id=release.artist_id, platform=platform, url=url,
                                     item_id=url.rsplit("/", 1)[-1], source="isrc", hidden=hidden))
        db.session.commit()


def set_link(app, release_id, platform, **values):
    with app.app_context(), scoped(Scope.platform("test")):
        link = db.session.scalars(select(StreamingLink).where(
            StreamingLink.release_id == release_id, StreamingLink.platform == platform)).one()
        for name, value in values.items():
            setattr(link, name, value)
        db.session.commit()


def add_clicks(app, release_id, country, platform, count, kind="stream_click"):
    """Click events as the analytics ingest stores them (with their rollups)."""
    from app.jobs.analytics import insert_events

    with app.app_context(), scoped(Scope.platform("test")):
        release = db.session.get(Release, release_id)
        insert_events([Event(label_id=release.label_id, artist_id=release.artist_id,
                             release_id=release.id, kind=kind, platform=platform,
                             country=country, occurred_at=now_utc())
                       for _ in range(count)])
