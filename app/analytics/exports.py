"""CSV exports: a release's daily funnel, and fans with their consents and first-touch source.

Cells go through app.csv_export (formula escaping, a BOM for spreadsheets). Both read
through the tenant scope; the fan export is for label staff only (the view checks).
"""
from dataclasses import dataclass

from sqlalchemy import select

from app import csv_export
from app.analytics.queries import CLICK, DELIVERED, PRESAVE, REMINDER, SIGN_IN, VIEW
from app.validation import MAX_ID
from app.extensions import db
from app.models import Artist, Consent, Fan, PreSave
from app.models.fan import CONSENT_PURPOSES
from app.models.fan_source import FanSource

DAILY_KINDS = [VIEW, CLICK, SIGN_IN, PRESAVE, REMINDER, DELIVERED]
DAILY_COLUMNS = [("day", "Day (UTC)"), (VIEW, "Page views"), (CLICK, "Platform clicks"),
                 (SIGN_IN, "Sign-ins started"), (PRESAVE, "Pre-saves"),
                 (REMINDER, "Reminder sign-ups"), (DELIVERED, "Delivered"),
                 ("presave_rate", "Pre-saves per view")]
FAN_COLUMNS = [("id", "Fan id"), ("name", "Name"), ("email", "Email"), ("phone", "Phone"),
               ("artist", "Artist"), ("city", "City"), ("country", "Country"),
               ("created_at", "Signed up (UTC)"),
               *[(purpose, f"Consent: {title}") for purpose, title in CONSENT_PURPOSES],
               ("referrer", "First touch: site"), ("utm_source", "First touch: utm_source"),
               ("utm_medium", "First touch: utm_medium"),
               ("utm_campaign", "First touch: utm_campaign")]
CHUNK = 1000


def daily_lines(days):
    rows = ({**day, "day": day["day"].isoformat(),
             "presave_rate": _ratio(day[PRESAVE], day[VIEW])} for day in days)
    return csv_export.lines(rows, DAILY_COLUMNS)


def _ratio(part, whole):
    return f"{part / whole:.4f}" if whole else ""


@dataclass(frozen=True)
class FanFilter:
    """Which fans: all the scope sees, one artist's, or those who pre-saved one release."""

    artist_id: int | None = None
    release_id: int | None = None

    @classmethod
    def from_args(cls, args):
        return cls(_id(args, "artist"), _id(args, "release"))

    def statement(self):
        stmt = select(Fan, Artist.name).join(Artist, Artist.id == Fan.artist_id)
        if self.artist_id is not None:
            stmt = stmt.where(Fan.artist_id == self.artist_id)
        if self.release_id is not None:
            stmt = stmt.where(Fan.id.in_(select(PreSave.fan_id)
                                         .where(PreSave.release_id == self.release_id)))
        return stmt.order_by(Fan.id)


def _id(args, name):
    value = (args.get(name) or "").strip()
    if not value:
        return None
    if not value.isdecimal() or not 0 < int(value) <= MAX_ID:
        raise ValueError(f"'{name}' must be an id (a positive whole number)")
    return int(value)


def fan_lines(filters):
    return csv_export.lines(_fan_rows(filters), FAN_COLUMNS)


def _fan_rows(filters):
    result = db.session.execute(filters.statement().execution_options(yield_per=CHUNK))
    for chunk in result.partitions():
        ids = [fan.id for fan, _ in chunk]
        consents, sources = _consents(ids), _sources(ids)
        for fan, artist in chunk:
            source = sources.get(fan.id)
            yield {"id": fan.id, "name": fan.name, "email": fan.email, "phone": fan.phone,
                   "artist": artist, "city": fan.city, "country": fan.country,
                   "created_at": fan.created_at,
                   **{purpose: consents.get((fan.id, purpose), "not given")
                      for purpose, _ in CONSENT_PURPOSES},
                   "referrer": (source.referrer or "direct") if source else None,
                   "utm_source": source.utm_source if source else None,
                   "utm_medium": source.utm_medium if source else None,
                   "utm_campaign": source.utm_campaign if source else None}


def _consents(fan_ids):
    """{(fan id, purpose): "given <time>" or "withdrawn <time>"}, the latest consent wins."""
    stmt = (select(Consent.fan_id, Consent.purpose, Consent.given_at, Consent.withdrawn_at)
            .where(Consent.fan_id.in_(fan_ids)).order_by(Consent.given_at, Consent.id))
    states = {}
    for fan_id, purpose, given, withdrawn in db.session.execute(stmt):
        states[(fan_id, purpose)] = (f"withdrawn {withdrawn:%Y-%m-%d %H:%M}" if withdrawn
                                     else f"given {given:%Y-%m-%d %H:%M}")
    return states


def _sources(fan_ids):
    stmt = select(FanSource).where(FanSource.fan_id.in_(fan_ids))
    return {source.fan_id: source for source in db.session.scalars(stmt)}
