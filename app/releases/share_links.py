"""A release's short links: the fan page's own (/r/<code>) and named ones for a channel, each
carrying its UTM tags to the page; their QR codes; and what each brought (visits, pre-saves).

A code is random (8 characters of an alphabet without look-alikes: about 8.5 × 10^11 codes),
unique on the instance, and names no host: the same code works wherever the instance is
served. Visits are counted by the redirect, once per visitor and day (a ``link_visit``
event); a pre-save is the link's when the visit that made it came through the link (the
``link_id`` of its ``presave_completed`` event); app.analytics.queries.short_links counts
them.
"""
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import func, select

from app import qr_codes, validation
from app.domains.urls import site_base
from app.extensions import db
from app.models import ShortLink
from app.models.short_link import NAME_MAX, UTM_FIELDS, UTM_MAX

ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: read aloud or off a poster
CODE_LENGTH = 8
MAIN_NAME = "Fan page"
LINKS_MAX = 100  # per release: a share kit, not a link farm


@dataclass(frozen=True)
class Preset:
    label: str
    source: str | None
    medium: str | None
    content: str | None = None


PRESETS = {
    "instagram_bio": Preset("Instagram bio", "instagram", "social", "bio"),
    "tiktok_bio": Preset("TikTok bio", "tiktok", "social", "bio"),
    "stories": Preset("Instagram Stories", "instagram", "social", "story"),
    "email": Preset("Email newsletter", "newsletter", "email"),
    "sms": Preset("Text message", "sms", "sms"),
    "qr": Preset("QR code (posters, flyers)", "qr", "print"),
    "custom": Preset("Custom", None, None),
}


class LinkRefused(ValueError):
    """A link that cannot be made or removed, with the reason for staff."""


def new_code():
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def links(release):
    """The release's short links: the fan page's own first, then the newest first."""
    return db.session.scalars(select(ShortLink).where(ShortLink.release_id == release.id)
                              .order_by(ShortLink.main.desc(), ShortLink.id.desc())).all()


def main_link(release):
    """The fan page's own short link, made (and flushed) the first time it is asked for."""
    link = db.session.scalars(select(ShortLink).where(ShortLink.release_id == release.id,
                                                      ShortLink.main.is_(True))).first()
    if link is None:
        link = _add(release, MAIN_NAME, main=True)
    return link


def create(release, name, preset="custom", actor=None, **utm):
    """A named short link with UTM tags (the preset's, where the form leaves one blank; the
    campaign defaults to the release's slug). Raises LinkRefused with the field's reason."""
    if preset not in PRESETS:
        raise LinkRefused("Choose one of the presets, or Custom")
    chosen = PRESETS[preset]
    name = _field(name, NAME_MAX, "name")
    if name is None:
        raise LinkRefused("Name the link (e.g. “Instagram bio”): only staff see the name")
    given = {field: _field(utm.get(field), UTM_MAX, field) for field in UTM_FIELDS}
    defaults = {"utm_source": chosen.source, "utm_medium": chosen.medium,
                "utm_campaign": release.slug, "utm_content": chosen.content}
    tags = {field: given[field] or defaults[field] for field in UTM_FIELDS}
    if not tags["utm_source"]:
        raise LinkRefused("Say where the link will be shared (utm_source, e.g. “instagram”)")
    count = db.session.scalar(select(func.count(ShortLink.id))
                              .where(ShortLink.release_id == release.id))
    if count >= LINKS_MAX:
        raise LinkRefused(f"A release has at most {LINKS_MAX} short links: remove one first")
    main_link(release)  # the fan page's own comes first
    return _add(release, name, preset=preset, actor=actor, **tags)


def _field(value, limit, what):
    try:
        return validation.plain_text(value, limit, what)
    except ValueError as exc:
        raise LinkRefused(str(exc)) from None


def _add(release, name, main=False, **values):
    actor = values.pop("actor", None)
    link = ShortLink(label_id=release.label_id, artist_id=release.artist_id,
                     release_id=release.id, code=new_code(), name=name, main=main,
                     created_by=actor, **values)
    db.session.add(link)
    db.session.flush()
    return link


def remove(release, link_id):
    """Remove a named link (its code stops working; its events stay, unattributed). The fan
    page's own cannot be removed. Returns the removed link's name, or None if there is none."""
    link = find(release, link_id)
    if link is None:
        return None
    if link.main:
        raise LinkRefused("The fan page's own short link stays: it may be printed already")
    db.session.delete(link)
    db.session.flush()
    return link.name


def find(release, link_id):
    """The release's link with this id, or None (an id no row can have included)."""
    if not 0 < link_id <= validation.MAX_ID:
        return None
    return db.session.scalars(select(ShortLink).where(ShortLink.release_id == release.id,
                                                      ShortLink.id == link_id)).first()


def path(code):
    return f"/r/{code}"


def short_url(link):
    """The link as fans get it: on the label's domain when it has one."""
    return site_base(link.label_id) + path(link.code)


def destination(link):
    """Where the link sends a visitor: the fan page's path with the link's UTM tags (no host,
    so the redirect stays on the host the visitor asked)."""
    page = f"/s/{link.release.artist.slug}/{link.release.slug}"
    return f"{page}?{urlencode(link.utm)}" if link.utm else page


def qr_ink(release):
    """The artist's colour where it scans on white, else black."""
    artist = release.artist
    return qr_codes.ink(artist.primary_color, artist.accent_color)

