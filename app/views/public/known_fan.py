"""The fan this browser is, as an artist's page sees them: greeted by name, their connected
platform first, the details they gave not asked again, what they pre-saved said so."""
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import Authorization, PreSave
from app.models.authorization import ACTIVE
from app.models.presave import CANCELLED, DELIVERED
from app.platform_table import APPLE_MUSIC
from app.presaves import record as presaves
from app.views.public.visitor.fan_cookie import fan_from_cookie

DETAILS = ("name", "email", "phone")


@dataclass
class KnownFan:
    first_name: str | None
    details: dict  # what they gave before: name, email, phone
    consented: frozenset  # the purposes they agreed to and have not withdrawn
    presaves: dict  # platform -> their PreSave of this release (none cancelled)
    one_tap: tuple  # platforms whose grant on file pre-saves this release with one tap

    @property
    def delivered(self):
        return [p for p, presave in self.presaves.items() if presave.state == DELIVERED]


def known_fan(artist, release):
    """The KnownFan of this request for ``release``, or None for a browser new to the artist."""
    fan = fan_from_cookie(artist)
    if fan is None:
        return None
    saved = db.session.scalars(select(PreSave).where(
        PreSave.fan_id == fan.id, PreSave.release_id == release.id,
        PreSave.state != CANCELLED)).all()
    grants = db.session.scalars(select(Authorization).where(
        Authorization.fan_id == fan.id, Authorization.state == ACTIVE)).all()
    connected = {g.platform for g in grants
                 if g.platform != APPLE_MUSIC and presaves.grant_saves(g, release)}
    return KnownFan(
        first_name=(fan.name or "").split()[0] if (fan.name or "").strip() else None,
        details={name: getattr(fan, name) for name in DETAILS if getattr(fan, name)},
        consented=frozenset(c.purpose for c in fan.consents if c.withdrawn_at is None),
        presaves={p.platform: p for p in saved},
        one_tap=tuple(p for p in (release.platforms or []) if p in connected))


def with_known_details(known, form):
    """The form with the details the fan gave before filled in where it leaves them out."""
    if known is None:
        return form
    return {**known.details, **{k: v for k, v in form.items() if v not in (None, "")}}
