"""Migration 0021 keeps an upgraded label's Spotify app out of the development-mode limit when
it has already connected more accounts than that mode allows (it must have extended quota);
an app with fewer stays in development mode, what a new app is."""
from flask_migrate import upgrade
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import Artist, Authorization, Fan, Label, PlatformCredential
from app.tenants.context import Scope, scoped
from tests.old_schema import as_of_this_revision


def label_with_fans(slug, accounts):
    label_id = as_of_this_revision(Label(name=slug, slug=slug, timezone="UTC"))
    artist_id = as_of_this_revision(Artist(label_id=label_id, name=slug, slug=f"{slug}-artist",
                                           timezone="UTC"), follow_on_spotify=False)
    for n in range(accounts):
        fan_id = as_of_this_revision(Fan(label_id=label_id, artist_id=artist_id))
        as_of_this_revision(Authorization(label_id=label_id, artist_id=artist_id, fan_id=fan_id,
                                          platform="spotify", platform_user_id=f"acct{n}",
                                          state="active"))
    as_of_this_revision(PlatformCredential(label_id=label_id, platform="spotify",
                                           client_id=f"{slug}-app"))
    return label_id


def test_an_app_with_more_fans_than_development_mode_allows_is_extended(app, tmp_path):
    old = create_app("config.TestConfig", REDIS_URL=app.config["REDIS_URL"],
                     SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'before-0021.db'}")
    with old.app_context():
        upgrade(revision="0020")
        with scoped(Scope.platform("test")):
            big, small = label_with_fans("big", 6), label_with_fans("small", 5)
            db.session.commit()
        upgrade(revision="0021")
        with scoped(Scope.platform("test")):
            modes = dict(db.session.execute(select(PlatformCredential.label_id,
                                                   PlatformCredential.quota_mode)).all())
        assert modes == {big: "extended", small: None}
        db.session.remove()
        db.engine.dispose()
