"""Future Save: a fan who pre-saved one release asks to have the artist's next ones saved too.

The ask is a consent of its own per platform (purpose future_save_<platform>, unticked on the
success step, withdrawable on the fan's page). Each later release of the artist then gets, at
its opening instant (app.jobs.future_saves), a pending pre-save for every such fan on that
platform, through the grant they already gave; the ledger shows its origin as future save.
"""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.languages import gettext as _
from app.models import Authorization, Consent, Fan, PreSave, Release
from app.models.authorization import ACTIVE
from app.models.fan import future_save_purpose
from app.models.presave import CANCELLED, FUTURE_SAVE, SAVE
from app.models.release import PRESAVE_ACTIVE
from app.platform_table import APPLE_MUSIC, PLATFORM_KEYS, name
from app.platforms.registry import DIRECT, resolve
from app.presaves.record import add_consents, record_presave


def wording(artist, platform):
    return _("Save %(artist)s's future releases to my %(platform)s library too: each one is "
             "pre-saved for me when its pre-save opens.", artist=artist.name,
             platform=name(platform))


def offerable(presaves, consented):
    """The platforms a fan may ask Future Save for on a release's success step, from their
    pre-saves of it ({platform: PreSave}) and the purposes they agreed to: saved there through
    a grant (not Apple's, whose sign-in happens on the page each time), not asked yet."""
    return [p for p in PLATFORM_KEYS if p != APPLE_MUSIC and p in presaves
            and presaves[p].action == SAVE and presaves[p].authorization_id is not None
            and presaves[p].state != CANCELLED and future_save_purpose(p) not in consented]


def offer(fan, release):
    """offerable() for the fan and release, read from the database."""
    saved = db.session.scalars(select(PreSave).where(
        PreSave.fan_id == fan.id, PreSave.release_id == release.id)).all()
    return offerable({p.platform: p for p in saved},
                     {c.purpose for c in fan.consents if c.withdrawn_at is None})


def opt_in(fan, artist, platforms, ip_hash):
    """The fan's Future Save consents for ``platforms``."""
    add_consents(fan, {future_save_purpose(p): wording(artist, p) for p in platforms}, ip_hash)


def add_pending(release, fan_ids=None):
    """Pending pre-saves of ``release`` for the artist's Future Save fans (``fan_ids``: only
    those), on each platform they asked it for, the release offers, the label saves on
    directly, and they still hold a grant on. [(presave, grant)] of the rows added."""
    platforms = [p for p in release.platforms or [] if p in PLATFORM_KEYS and p != APPLE_MUSIC]
    direct = [p for p in platforms if resolve(release.label_id, p).mode == DIRECT]
    if not direct:
        return []
    by_purpose = {future_save_purpose(p): p for p in direct}
    stmt = (select(Consent.purpose, Fan, Authorization)
            .join(Fan, Fan.id == Consent.fan_id)
            .join(Authorization, Authorization.fan_id == Fan.id)
            .where(Consent.artist_id == release.artist_id, Consent.withdrawn_at.is_(None),
                   Consent.purpose.in_(by_purpose), Fan.erased_at.is_(None),
                   Authorization.state == ACTIVE)
            .order_by(Fan.id))
    if fan_ids is not None:
        stmt = stmt.where(Fan.id.in_(fan_ids))
    added = []
    for purpose, fan, grant in db.session.execute(stmt).all():
        if grant.platform != by_purpose[purpose]:
            continue
        try:
            with db.session.begin_nested():  # the opening's job and the fan's ask at once
                presave, created = record_presave(release, fan, grant.platform, grant)
                if created:
                    presave.origin = FUTURE_SAVE
        except IntegrityError:
            continue  # the other one added it
        if created:
            added.append((presave, grant))
    return added


def open_releases(artist_id, except_release_id):
    """The artist's other releases whose pre-save is open now (a fan asking today wants
    those saved too)."""
    return db.session.scalars(select(Release).where(
        Release.artist_id == artist_id, Release.status == PRESAVE_ACTIVE,
        Release.id != except_release_id)).all()
