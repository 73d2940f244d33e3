"""Recording what a fan did on a fan page: fan, consents, grant and pre-save, in one go."""
import hashlib
from datetime import datetime, time

from flask import current_app
from sqlalchemy import select, update

from app import languages
from app.analytics import first_touch
from app.crypto import keyring
from app.extensions import db
from app.localtime import now_utc, to_utc
from app.models import Authorization, Consent, Fan, PreSave
from app.models.audience import UPSERT
from app.models.authorization import ACTIVE
from app.models.fan import EMAIL_MARKETING
from app.models.presave import PENDING, REMIND, SAVE
from app.platform_table import descriptor
from app.audience_sync import changes as audience_changes
from app.webhooks import events, payloads



def grant_outlives(platform, granted_at, release):
    """Will a grant given at granted_at still work at the release instant?"""
    lifetime = descriptor(platform).grant_lifetime  # a fixed time after it was given
    return lifetime is None or granted_at + lifetime > release.release_at


def ip_hash(address):
    """A salted hash of the client address: consent evidence without storing the IP."""
    salt = current_app.config["SECRET_KEY"]
    return hashlib.sha256(f"{salt}|{address}".encode()).hexdigest()


def find_fan(artist, email=None, fan_id=None, account=None):
    """The artist's fan by email, by platform account (platform, user id), or by id."""
    if email:
        fan = db.session.scalars(select(Fan).where(Fan.artist_id == artist.id,
                                                   Fan.email == email)).first()
        if fan:
            return fan
    if account:
        platform, user_id = account
        grant = db.session.scalars(select(Authorization).where(
            Authorization.artist_id == artist.id, Authorization.platform == platform,
            Authorization.platform_user_id == user_id)).first()
        if grant:
            return grant.fan
    return db.session.get(Fan, fan_id) if fan_id else None


def upsert_fan(artist, wrapper, place, fan_id=None, account=None):
    fan = find_fan(artist, wrapper.values.get("email"), fan_id, account)
    new = fan is None
    if new:
        fan = Fan(artist=artist, label_id=artist.label_id, artist_id=artist.id,
                  city=place.city, country=place.country, timezone=place.timezone)
        db.session.add(fan)
    old_email = fan.email
    for name in ("name", "email", "phone"):
        if wrapper.values.get(name):
            setattr(fan, name, wrapper.values[name])
    fan.language = languages.current().code  # their messages speak the page's language
    fan.timezone = fan.timezone or place.timezone  # local mode runs the fan's pre-saves there
    db.session.flush()
    if not new:
        audience_changes.address_changed(fan, old_email)
    if new:
        first_touch.remember(fan)
    return fan


def add_consents(fan, consents, address):
    """Each consent with the exact words the fan saw and the language of the page they saw them
    on."""
    live = {c.purpose for c in fan.consents if c.withdrawn_at is None}
    given = {(c.purpose, c.wording) for c in fan.consents if c.withdrawn_at is None}
    for purpose, wording in consents.items():
        if (purpose, wording) not in given:
            db.session.add(Consent(fan=fan, fan_id=fan.id, label_id=fan.label_id,
                                   artist_id=fan.artist_id, purpose=purpose, wording=wording,
                                   language=languages.current().code, ip_hash=ip_hash(address)))
    if EMAIL_MARKETING in consents and EMAIL_MARKETING not in live:
        db.session.flush()  # the fan's id, for its change at the label's email tools
        audience_changes.fan_changed(fan, UPSERT)


def store_grant(fan, platform, tokens, account_id):
    """Create or renew the fan's grant on a platform; tokens sealed to this row."""
    grant = db.session.scalars(select(Authorization).where(
        Authorization.fan_id == fan.id, Authorization.platform == platform)).first()
    if grant is None:
        grant = Authorization(fan=fan, fan_id=fan.id, label_id=fan.label_id,
                              artist_id=fan.artist_id, platform=platform)
        db.session.add(grant)
    grant.platform_user_id = account_id
    grant.set_tokens(keyring(), tokens.access_token, tokens.refresh_token)
    grant.expires_at, grant.scopes = tokens.expires_at, tokens.scope
    grant.state, grant.revoked_at, grant.granted_at = ACTIVE, None, now_utc()
    db.session.flush()
    return grant


def usable_grant(fan, platform, release):
    """The fan's grant on platform if it can still save this release on release day."""
    if fan is None:
        return None
    grant = db.session.scalars(select(Authorization).where(
        Authorization.fan_id == fan.id, Authorization.platform == platform,
        Authorization.state == ACTIVE)).first()
    return grant if grant is not None and grant_saves(grant, release) else None


def grant_saves(grant, release):
    """Whether an active grant can still save ``release`` on its release day."""
    if not grant_outlives(grant.platform, grant.granted_at, release):
        return False
    return not (grant.refresh_token_sealed is None and grant.expires_at
                and grant.expires_at <= now_utc())


def record_presave(release, fan, platform, grant=None):
    """The (release, fan, platform) pre-save; returns (presave, created)."""
    existing = db.session.scalars(select(PreSave).where(
        PreSave.release_id == release.id, PreSave.fan_id == fan.id,
        PreSave.platform == platform)).first()
    if existing is not None:
        if grant is not None and existing.authorization_id is None:
            existing.authorization, existing.action = grant, SAVE
        return existing, False
    presave = PreSave(release=release, release_id=release.id, fan=fan, fan_id=fan.id,
                      label_id=release.label_id, artist_id=release.artist_id, platform=platform,
                      authorization=grant, action=SAVE if grant else REMIND, state=PENDING,
                      next_attempt_at=delivery_instant(release, fan.timezone))
    db.session.add(presave)
    events.emit(release.label_id, "presave.created", lambda: _created(presave))
    return presave, True


def _created(presave):
    db.session.flush()  # its id and creation time
    return payloads.presave(presave)


def delivery_instant(release, fan_zone):
    """When a fan's pre-save runs: the release instant, or in local mode midnight of the
    release date in the fan's zone (the release's zone when the fan's is unknown)."""
    if release.release_mode != "local":
        return release.release_at
    midnight = datetime.combine(release.release_local.date(), time())
    try:
        return to_utc(midnight, fan_zone).utc
    except ValueError:  # GeoIP found no zone, or one we do not know
        return to_utc(midnight, release.timezone).utc


def reschedule_pending(release):
    """Move the release's pending pre-saves to the instants of its current dates and mode."""
    pending = (PreSave.release_id == release.id) & (PreSave.state == PENDING)
    if release.release_mode != "local":
        _move(pending, release.release_at)
        return
    zones = db.session.scalars(select(Fan.timezone).distinct()
                               .join(PreSave, PreSave.fan_id == Fan.id).where(pending)).all()
    for fan_zone in zones:
        fans = select(Fan.id).where(Fan.timezone.is_(None) if fan_zone is None
                                    else Fan.timezone == fan_zone)
        _move(pending & PreSave.fan_id.in_(fans), delivery_instant(release, fan_zone))


def _move(rows, instant):
    db.session.execute(update(PreSave).where(rows).values(next_attempt_at=instant)
                       .execution_options(synchronize_session="fetch"))
