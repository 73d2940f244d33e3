"""A label of a test's own, so that what it counts (fans an app connected, the artist's Future
Save fans) starts from nothing: its releases, and a fan's Spotify round trip on the sandbox."""
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from app.extensions import db
from app.localtime import now_utc
from app.models import Artist, Label, PresaveUser, Release
from app.releases import rules as release_rules
from app.tenants.context import Scope, scoped
from tests.fan_journey import flashes, sandbox_decision


@pytest.fixture
def own_label(app):
    """(label id, artist slug): a new label with one artist, no fans."""
    return make_label(app)


def make_label(app, label_name="Own", artist_name="Allow List"):
    """A new label with one artist, no fans; (label id, artist slug)."""
    tag = uuid.uuid4().hex[:8]
    with app.app_context(), scoped(Scope.platform("test")):
        label = Label(name=f"{label_name} {tag}", slug=f"{label_name.lower()}-{tag}",
                      timezone="UTC")
        db.session.add(label)
        db.session.flush()
        artist = Artist(label_id=label.id, name=artist_name,
                        slug=f"{artist_name.split()[0].lower()}-{tag}", timezone="UTC")
        db.session.add(artist)
        db.session.commit()
        return label.id, artist.slug


def purge_artist(app, pk):
    """Remove a test artist and every row it owns (plain deletes)."""
    with app.app_context(), scoped(Scope.platform("test")):
        for table in reversed(Artist.metadata.sorted_tables):
            if "artist_id" in table.c and table is not PresaveUser.__table__:
                db.session.execute(delete(table).where(table.c.artist_id == pk))
        db.session.execute(delete(Artist.__table__).where(Artist.__table__.c.id == pk))
        db.session.commit()


def new_release(app, artist_slug, title="Five Places", opens_in=timedelta(hours=-1),
                out_in=timedelta(days=5), platforms=("spotify", "deezer")):
    """An announced release of the artist (open when ``opens_in`` is past); (id, page path)."""
    with app.app_context(), scoped(Scope.platform("test")):
        artist = db.session.scalars(select(Artist).where(Artist.slug == artist_slug)).one()
        release = Release(artist=artist, title=title, slug=f"r-{uuid.uuid4().hex[:6]}",
                          platforms=list(platforms))
        wall = lambda delta: (now_utc() + delta).replace(tzinfo=None)  # noqa: E731
        release_rules.schedule(release, wall(opens_in), wall(out_in), "UTC",
                               must_be_future=False)
        db.session.add(release)
        release_rules.record(release, "announced", "test")
        if opens_in < timedelta(0):
            release_rules.advance(release, "clock")
        db.session.commit()
        return release.id, f"/s/{artist_slug}/{release.slug}"


def begin(app, page, **form):
    """A new fan taps Spotify; (their browser, the sandbox's authorize URL)."""
    fan = app.test_client()
    going = fan.post(page + "/presave", data={"platform": "spotify", "email": "", "name": "",
                                              "phone": "", **form})
    assert going.status_code == 302 and "/sandbox/spotify/authorize" in going.headers["Location"]
    return fan, going.headers["Location"]


def finish(fan, authorize):
    """The fan agrees on the sandbox's consent page and comes back; what the page flashed."""
    done = fan.get(sandbox_decision(fan, authorize))
    assert done.status_code == 302
    return flashes(fan)
