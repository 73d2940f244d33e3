"""Ledger rows written straight into the database, in the states the release-day engine
leaves them in (shared by the ledger's HTTP and browser tests)."""
import uuid

import pytest
from sqlalchemy import select

from app.extensions import db
from app.localtime import now_utc
from app.models import Authorization, Fan, PreSave, Release
from app.tenants.context import Scope, scoped

# (name, platform, action, state, attempts, last_error)
ROWS = [
    ("Ada Pending", "spotify", "save", "pending", 0, None),
    ("Ben Retrying", "spotify", "save", "pending", 2, "not_on_platform_yet"),
    ("Cy Delivered", "spotify", "save", "delivered", 1, None),
    ("Di Revoked", "spotify", "save", "failed", 1, "authorization_expired_or_revoked"),
    ("Ed Working", "tidal", "save", "in_progress", 0, None),
    ("Flo Gone", "tidal", "save", "cancelled", 0, "fan_disconnected"),
    ("Gus Tired", "tidal", "save", "failed", 8, "gave up after 8 attempts: Bad gateway"),
    ("=HYPERLINK(\"http://evil\")", "deezer", "save", "failed", 1, "not_found_on_platform"),
    ("Ivy Remind", "apple_music", "remind", "pending", 0, "reminder_not_sent_yet"),
]


def release_of(slug):
    return db.session.scalars(select(Release).where(Release.slug == slug)).one()


def add_row(release, name, platform, action, state, attempts, last_error, granted_at=None):
    fan = Fan(artist_id=release.artist_id, label_id=release.label_id, name=name,
              email=f"{uuid.uuid4().hex[:8]}@fans.test")
    db.session.add(fan)
    db.session.flush()
    grant = None
    if action == "save":
        grant = Authorization(fan_id=fan.id, label_id=release.label_id,
                              artist_id=release.artist_id, platform=platform,
                              granted_at=granted_at or now_utc())
        db.session.add(grant)
        db.session.flush()
    db.session.add(PreSave(
        release_id=release.id, fan_id=fan.id, label_id=release.label_id,
        artist_id=release.artist_id, platform=platform, action=action, state=state,
        attempts=attempts, last_error=last_error, authorization_id=grant and grant.id,
        next_attempt_at=release.release_at, delivered_at=now_utc() if state == "delivered" else None))
    return fan


@pytest.fixture
def ledger_release(app, active_release):
    """make(rows, artist, days) -> release id of a pre-save-active release with those rows."""
    def make(rows=ROWS, artist="aurora-vale", days=3):
        slug = active_release(artist, days=days)
        with app.app_context(), scoped(Scope.platform("test")):
            release = release_of(slug)
            for row in rows:
                add_row(release, *row)
            db.session.commit()
            return release.id
    return make
