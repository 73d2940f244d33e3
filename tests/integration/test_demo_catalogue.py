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
