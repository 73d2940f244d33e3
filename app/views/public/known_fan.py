"""The fan this browser is, as an artist's page sees them: greeted by name, their connected
platform first, the details they gave not asked again, what they pre-saved said so."""
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app import languages
from app.languages import gettext as _
from app.models import Authorization, OpeningNotice, PreSave
from app.models.authorization import ACTIVE
from app.models.opening_notice import PENDING
from app.models.presave import CANCELLED, DELIVERED, SAVE
from app.platform_table import APPLE_MUSIC
from app.platforms.base import split_scopes
from app.platforms.registry import DIRECT, client_class
from app.presaves import record as presaves
from app.releases.state import STREAM
from app.views.public.brands import brand
from app.views.public.visitor.fan_cookie import fan_from_cookie

DETAILS = ("name", "email", "phone")


@dataclass
class KnownFan:
    first_name: str | None
    details: dict  # what they gave before: name, email, phone
    consented: frozenset  # the purposes they agreed to and have not withdrawn
    presaves: dict  # platform -> their PreSave of this release (none cancelled)
    one_tap: tuple  # platforms whose grant on file pre-saves this release with one tap
    followable: tuple = ()  # platforms whose grant on file can follow an artist
    awaiting_opening: bool = False  # asked on the Coming Soon page to hear when it opens

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
        one_tap=tuple(p for p in (release.platforms or []) if p in connected),
        followable=tuple(g.platform for g in grants if _can_follow(g)),
        awaiting_opening=db.session.scalar(select(OpeningNotice.id).where(
            OpeningNotice.fan_id == fan.id, OpeningNotice.release_id == release.id,
            OpeningNotice.state == PENDING)) is not None)


def _can_follow(grant):
    client = client_class(grant.platform)
    return client is not None and client.follows and \
        set(client.follow_scopes) <= split_scopes(grant.scopes)


def with_known_details(known, form):
    """The form with the details the fan gave before filled in where it leaves them out."""
    if known is None:
        return form
    return {**known.details, **{k: v for k, v in form.items() if v not in (None, "")}}


def theirs_first(button_list, known, state):
    """A returning fan's platform leads: in their library (Stream Now), or one tap away."""
    if state == STREAM:
        theirs = set(known.delivered)
        for b in button_list:
            if b.brand.key in theirs:
                b.hint = _("In your library")
                b.title = _("Play on %(platform)s", platform=b.brand.name)
    else:
        theirs = set(known.one_tap) - set(known.presaves)
        for b in button_list:
            if b.brand.key in theirs and b.mode == DIRECT:
                b.hint = _("Connected: one tap")
            elif b.brand.key in known.presaves:
                b.hint = _("Done") if known.presaves[b.brand.key].action == SAVE else \
                    _("Reminder set")
    return sorted(button_list, key=lambda b: b.brand.key not in theirs)


def done_lines(known, release):
    """What a fan who pre-saved this release is told will happen, one line per platform."""
    lines = []
    for key, presave in known.presaves.items():
        name = brand(key).name
        lines.append(_("“%(title)s” is added to your %(platform)s library the moment it's out.",
                       title=release.title, platform=name) if presave.action == SAVE else
                     _("On release day we send you the link to play it on %(platform)s.",
                       platform=name))
    return lines


def greeting(known):
    one_tap = [brand(k).name for k in known.one_tap if k not in known.presaves]
    if one_tap:
        where = languages.one_of(one_tap)
        if known.first_name:
            return _("Welcome back, %(name)s: one tap pre-saves on %(platforms)s.",
                     name=known.first_name, platforms=where)
        return _("Welcome back: one tap pre-saves on %(platforms)s.", platforms=where)
    if known.first_name:
        return _("Welcome back, %(name)s.", name=known.first_name)
    return _("Welcome back.")


def still_to_ask(fields, known):
    """The fields a returning fan has not given yet."""
    if known is None:
        return fields
    return [f for f in fields if f.name not in known.details]
