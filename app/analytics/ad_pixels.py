"""Which ad pixels an artist's pages may load once a visitor agrees, and the tokens of the
conversion APIs, from the label's settings and the artist's own (app.models.ad_pixels).

Each service is described once here: its name, how its id looks, and the hosts its script
loads from and sends to, which the page's Content-Security-Policy allows for that response
only, and only after the visitor accepted."""
import re
from dataclasses import dataclass

from sqlalchemy import or_, select

from app.crypto import keyring
from app.extensions import db
from app.languages import N_
from app.models import AdPixels


@dataclass(frozen=True)
class Service:
    key: str
    name: str
    company: str  # as the cookie question names it
    column: str
    shape: re.Pattern
    example: str
    scripts: tuple  # script-src
    beacons: tuple  # connect-src and img-src
    converts: bool  # has a server-side conversion API


SERVICES = (
    Service("meta", "Meta Pixel", "Meta", "meta_pixel_id", re.compile(r"[0-9]{10,20}"),
            "15 or 16 digits, e.g. 1234567890123456", ("https://connect.facebook.net",),
            ("https://www.facebook.com",), True),
    Service("tiktok", "TikTok Pixel", "TikTok", "tiktok_pixel_code", re.compile(r"[A-Z0-9]{20}"),
            "20 capital letters and digits, e.g. C1A2B3C4D5E6F7G8H9I0",
            ("https://analytics.tiktok.com",), ("https://analytics.tiktok.com",), True),
    Service("google", "Google tag", "Google", "google_tag_id", re.compile(r"(G|AW|GT|DC)-[A-Z0-9]{4,20}"),
            "G-XXXXXXXXXX (Analytics) or AW-123456789 (Ads)",
            ("https://www.googletagmanager.com",),
            ("https://www.google-analytics.com", "https://*.google-analytics.com",
             "https://www.googletagmanager.com"), False),
)
BY_KEY = {service.key: service for service in SERVICES}
# What the fan page asks; the words are stored with each answer.
QUESTION = N_("%(artist)s would like to use cookies from %(services)s to measure its ads. "
              "Nothing is loaded unless you accept.")


def shape(key, value):
    """The id, trimmed (and upper-cased where the service writes it so), or None for blank;
    ValueError says how it should look."""
    service = BY_KEY[key]
    text = str(value or "").strip()
    if not text:
        return None
    if key != "meta":
        text = text.upper()
    if not service.shape.fullmatch(text):
        raise ValueError(f"A {service.name} id looks like this: {service.example}")
    return text


def rows(label_id, artist_id):
    """(label's row, artist's row), either None."""
    found = db.session.scalars(select(AdPixels).where(
        AdPixels.label_id == label_id,
        or_(AdPixels.artist_id.is_(None), AdPixels.artist_id == artist_id))).all()
    label = next((r for r in found if r.artist_id is None), None)
    own = next((r for r in found if r.artist_id is not None), None)
    return label, own


def effective(label_id, artist_id):
    """{service key: id} of the pixels the artist's pages use: its own, else the label's."""
    label, own = rows(label_id, artist_id)
    found = {}
    for service in SERVICES:
        value = (own and getattr(own, service.column)) or (label and getattr(label, service.column))
        if value:
            found[service.key] = value
    return found


def conversion_access(label_id, artist_id):
    """{"meta": (pixel id, token), "tiktok": (pixel code, token)} where both are set: the
    token from the same row as the id (an artist's own pixel needs its own token)."""
    label, own = rows(label_id, artist_id)
    ring, found = keyring(), {}
    for service in SERVICES:
        if not service.converts:
            continue
        row = own if own is not None and getattr(own, service.column) else label
        if row is not None and getattr(row, service.column):
            token = row.token(ring, service.key)
            if token:
                found[service.key] = (getattr(row, service.column), token)
    return found


def hosts(pixels):
    """(script hosts, beacon hosts) of these pixels, for the page's policy."""
    chosen = [BY_KEY[key] for key in pixels if key in BY_KEY]
    return (sorted({h for s in chosen for h in s.scripts}),
            sorted({h for s in chosen for h in s.beacons}))
