"""Helpers for tests of the fan journey: pre-save-active releases, the sandbox's consent page."""
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.releases import rules as release_rules
from app.extensions import db
from app.localtime import now_utc
from app.models import Artist, Release
from app.models.release import ANNOUNCED
from app.tenants.context import Scope, scoped

PLATFORMS = ["spotify", "apple_music", "deezer", "tidal", "youtube_music", "amazon_music"]


def page(slug, artist="aurora-vale"):
    return f"/s/{artist}/{slug}"


def local(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def start(client, slug, platform="spotify", **form):
    data = {"platform": platform, "email": "", "name": "", "phone": "", **form}
    return client.post(page(slug) + "/presave", data=data)


def sandbox_decision(client, authorize_url, decision="agree", user=None):
    """Answer the sandbox consent page (as ``user``, else a new sandbox account); returns the
    callback path the platform sends back to."""
    assert client.get(local(authorize_url)).status_code == 200
    answer = client.post(local(authorize_url),
                         data={"decision": decision, **({"user": user} if user else {})})
    assert answer.status_code == 302
    return local(answer.headers["Location"])


def flashes(client):
    with client.session_transaction() as session:
        return [message for _, message in session.get("_flashes", [])]


def counts(app, model, **where):
    with app.app_context(), scoped(Scope.platform()):
        stmt = select(func.count()).select_from(model)
        for column, value in where.items():
            stmt = stmt.where(getattr(model, column) == value)
        return db.session.scalar(stmt)




@pytest.fixture
def active_release(app, unique):
    """make(artist_slug, days_to_release) -> release slug of a new pre-save-active release."""
    def make(artist_slug="aurora-vale", days=3):
        with app.app_context(), scoped(Scope.platform("test")):
            artist = db.session.scalars(select(Artist).where(Artist.slug == artist_slug)).one()
            release = Release(artist=artist, title="Flow Song", slug=unique("flow"),
                              platforms=PLATFORMS)
            wall = lambda delta: (now_utc() + delta).replace(tzinfo=None)  # noqa: E731
            release_rules.schedule(release, wall(timedelta(hours=-1)), wall(timedelta(days=days)),
                                   "UTC", must_be_future=False)
            db.session.add(release)
            release_rules.record(release, "announced", "test")
            release_rules.advance(release, "clock")
            db.session.commit()
            return release.slug
    return make


def coming_soon(app, unique, days=3):
    """A Coming Soon release of Aurora Vale (its pre-save opens in ``days``); its slug."""
    with app.app_context(), scoped(Scope.platform("test")):
        artist = db.session.scalars(select(Artist).where(Artist.slug == "aurora-vale")).one()
        release = Release(artist=artist, title="Harbour Song", slug=unique("soon"),
                          platforms=["spotify", "deezer"])
        wall = lambda delta: (now_utc() + delta).replace(tzinfo=None)  # noqa: E731
        release_rules.schedule(release, wall(timedelta(days=days)),
                               wall(timedelta(days=days + 7)), "UTC")
        db.session.add(release)
        release_rules.record(release, ANNOUNCED, "test")
        db.session.commit()
        return release.slug
