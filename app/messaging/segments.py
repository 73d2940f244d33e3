"""A blast's audience: which fans, by which channel. Only fans with the channel's marketing
consent (live), a contact for it and their data not erased; then staff's filters: one artist
or the whole label, country, city, a platform they pre-saved on, pre-saved a release or not,
signed up between two dates. Queries are the ORM's, so the tenant scope applies too."""
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select

from app.extensions import db
from app.models import Consent, Fan, PreSave
from app.models.fan import EMAIL_MARKETING, SMS_MARKETING
from app.models.message import EMAIL, SMS
from app.models.presave import CANCELLED

MARKETING = {EMAIL: EMAIL_MARKETING, SMS: SMS_MARKETING}


@dataclass(frozen=True)
class Segment:
    channels: tuple = (EMAIL,)
    artist_id: int | None = None  # None: every artist of the label
    country: str | None = None  # ISO 3166-1 alpha-2
    city: str | None = None
    platform: str | None = None
    release_id: int | None = None
    presaved: bool = True  # with release_id: fans who pre-saved it (False: who did not)
    joined_from: date | None = None
    joined_to: date | None = None

    def as_json(self):
        found = asdict(self)
        found["channels"] = list(self.channels)
        for key in ("joined_from", "joined_to"):
            found[key] = found[key].isoformat() if found[key] else None
        return found

    @classmethod
    def from_json(cls, data):
        data = dict(data)
        data["channels"] = tuple(data.get("channels") or (EMAIL,))
        for key in ("joined_from", "joined_to"):
            data[key] = date.fromisoformat(data[key]) if data.get(key) else None
        return cls(**data)


def fans(segment, channel):
    """SELECT of the ids of the fans ``channel`` reaches in ``segment``."""
    contact = Fan.email if channel == EMAIL else Fan.phone
    agreed = select(Consent.id).where(Consent.fan_id == Fan.id,
                                      Consent.purpose == MARKETING[channel],
                                      Consent.withdrawn_at.is_(None)).exists()
    stmt = select(Fan.id).where(contact.is_not(None), Fan.erased_at.is_(None), agreed)
    if segment.artist_id is not None:
        stmt = stmt.where(Fan.artist_id == segment.artist_id)
    if segment.country:
        stmt = stmt.where(Fan.country == segment.country)
    if segment.city:
        stmt = stmt.where(func.lower(Fan.city) == segment.city.lower())
    if segment.platform:
        stmt = stmt.where(_presaves(PreSave.platform == segment.platform))
    if segment.release_id is not None:
        did = _presaves(PreSave.release_id == segment.release_id)
        stmt = stmt.where(did if segment.presaved else ~did)
    if segment.joined_from:
        stmt = stmt.where(Fan.created_at >= _midnight(segment.joined_from))
    if segment.joined_to:
        stmt = stmt.where(Fan.created_at < _midnight(segment.joined_to + timedelta(days=1)))
    return stmt


def _presaves(condition):
    return select(PreSave.id).where(PreSave.fan_id == Fan.id, PreSave.state != CANCELLED,
                                    condition).exists()


def _midnight(day):
    return datetime.combine(day, time(), tzinfo=timezone.utc)


def counts(segment):
    """{channel: fans} for each of the segment's channels, and "fans": the distinct fans."""
    found = {channel: db.session.scalar(select(func.count()).select_from(
        fans(segment, channel).subquery())) for channel in segment.channels}
    ids = None
    for channel in segment.channels:
        chosen = fans(segment, channel)
        ids = chosen if ids is None else ids.union(chosen)
    found["fans"] = db.session.scalar(select(func.count()).select_from(ids.subquery()))
    return found


def sample(segment):
    """The segment's newest fan, whose values fill the preview, or None."""
    channel = segment.channels[0]
    fan_id = db.session.scalar(fans(segment, channel).order_by(Fan.created_at.desc(),
                                                              Fan.id.desc()).limit(1))
    return db.session.get(Fan, fan_id) if fan_id else None


def members(segment, channel, chunk=1000):
    """(fan id, artist id, label id) of the fans ``channel`` reaches, chunk by chunk."""
    stmt = (select(Fan.id, Fan.artist_id, Fan.label_id)
            .where(Fan.id.in_(fans(segment, channel))).order_by(Fan.id))
    yield from db.session.execute(stmt).yield_per(chunk)
