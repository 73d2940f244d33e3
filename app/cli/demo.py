"""Demo data: two labels, two artists each, releases in every status, five logins, and an
audience (app.cli.demo_audience) that makes every dashboard show a living label.

Idempotent: rows are found by their natural keys and only created when missing.
"""
import time as clock
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from app.cli import demo_audience, demo_messages
from app.cli.demo_artwork import cover, portrait
from app.extensions import db
from app.jobs.links import AFTER_RELEASE
from app.localtime import now_utc, to_utc, zone
from app.models import Artist, Label, PresaveUser, Release
from app.models.release import ANNOUNCED, ARCHIVED, DRAFT, EP, PRESAVE_ACTIVE, RELEASED, SINGLE
from app.platform_table import (AMAZON_MUSIC, APPLE_MUSIC, DEEZER, DESCRIPTORS, PLATFORM_KEYS,
                                 RESOLVER_EXTRAS, SPOTIFY, TIDAL, YOUTUBE_MUSIC, saved_kind)
from app.releases import links as streaming_links, rules as release_rules
from app.validation import gtin_check_digit_ok
from app.tenants.context import Scope, scoped
from app.tenants.roles import ROLE_ADMIN, ROLE_ARTIST, ROLE_LABEL_ADMIN, ROLE_LABEL_STAFF
from app.uploads import store_image

LABELS = [
    {"name": "Northwind Records", "slug": "northwind", "timezone": "Europe/London", "artists": [
        {"name": "Aurora Vale", "slug": "aurora-vale", "colors": ("#1b2a4a", "#f2b134", "#0e1726", "#f5f5f5")},
        {"name": "Juniper Kites", "slug": "juniper-kites", "colors": ("#2f4f3a", "#e85d3f", "#f4efe6", "#1e1e1e")},
    ]},
    {"name": "Harbor Lights Music", "slug": "harbor-lights", "timezone": "America/New_York", "artists": [
        {"name": "Marlow Shore", "slug": "marlow-shore", "colors": ("#0b3954", "#bfd7ea", "#e0f2ff", "#0b1b26")},
        {"name": "Neon Tide", "slug": "neon-tide", "colors": ("#3a0ca3", "#f72585", "#10002b", "#fafafa")},
    ]},
]

USERS = [
    ("admin@presave.test", "demo-admin", ROLE_ADMIN, None, None, ("Platform", "Admin")),
    ("owner@northwind.test", "demo-owner", ROLE_LABEL_ADMIN, "northwind", None, ("Nora", "Owner")),
    ("staff@northwind.test", "demo-staff", ROLE_LABEL_STAFF, "northwind", None, ("Sam", "Staff")),
    ("artist@northwind.test", "demo-artist", ROLE_ARTIST, "northwind", "aurora-vale", ("Aurora", "Vale")),
    ("staff@harbor.test", "demo-staff", ROLE_LABEL_STAFF, "harbor-lights", None, ("Hal", "Harbor")),
]

DEMO_PLATFORMS = (SPOTIFY, APPLE_MUSIC, DEEZER, TIDAL, YOUTUBE_MUSIC, AMAZON_MUSIC)  # page order

# (slug suffix, title, status, pre-save opens relative to now, release relative to today)
RELEASES = [
    ("draft", "Untitled Demo", DRAFT, timedelta(days=20), 40),
    ("coming-soon", "Northern Lights", ANNOUNCED, timedelta(days=3), 14),
    ("tonight", "Midnight Drive", PRESAVE_ACTIVE, timedelta(days=-7), 1),
    ("out-now", "First Light", RELEASED, timedelta(days=-30), -10),
    ("vault", "Old Flame", ARCHIVED, timedelta(days=-200), -150),
]
KINDS = {"coming-soon": EP}  # the others are singles
# A release due sooner than this when the demo is made moves a night later, so "tonight" does
# not come out minutes after a demo (or a test run) started just before midnight.
UPCOMING_AT_LEAST = timedelta(hours=3)
EP_TRACKS = ("Aurora", "Polar Night", "Snowline")  # after the focus track, the release's title


class NotInitialised(Exception):
    """The roles the demo logins need do not exist: `flask init` has not run."""


def load_demo(if_empty=False, echo=print, fans=demo_audience.DEMO_FANS):
    missing = sorted({spec[2] for spec in USERS
                      if current_app.appbuilder.sm.find_role(spec[2]) is None})
    if missing:
        raise NotInitialised(f"The roles {', '.join(missing)} do not exist yet: run `flask init` "
                             "first, then `flask demo`.")
    with scoped(Scope.platform("demo")):
        if if_empty and db.session.scalars(select(Label)).first():
            echo("Demo data skipped: the database already has labels.")
            _repair_logins(echo)
            register_in_sandbox(echo)
            return
        labels = {spec["slug"]: _label(spec) for spec in LABELS}
        db.session.flush()
        artists = {}
        for spec in LABELS:
            for artist_spec in spec["artists"]:
                artists[artist_spec["slug"]] = _artist(labels[spec["slug"]], artist_spec)
        db.session.flush()
        for artist_slug, artist in artists.items():
            for rel in RELEASES:
                _release(artist, *rel)
        for user_spec in USERS:
            _user(labels, artists, *user_spec)
        db.session.commit()
        _repair_logins(echo)
        register_in_sandbox(echo)
        ids = [artist.id for artist in artists.values()]
        started = clock.monotonic()
        if demo_audience.populate(list(artists.values()), fans, echo):
            echo(f"Demo audience made in {clock.monotonic() - started:.1f} s.")
        echo("Demo audience: " + demo_audience.describe(demo_audience.counts(ids)))
        demo_messages.populate(list(artists.values()), echo)
    echo("Demo data ready: labels " + ", ".join(s["name"] for s in LABELS))


def register_in_sandbox(echo=print):
    """Put the demo releases in the sandbox's catalogue, so the offline demo delivers for real
    and its link job finds them: by ISRC, on YouTube Music by title and artist, and on the
    link-only extras through the external resolver's stand-in (when ODESLI_API_KEY is set).
    Open demo releases are looked up by the reconciler's first run; the ones already out
    come with the links their release day found, as a label running Presave would have."""
    if not current_app.config.get("SANDBOX_ENABLED"):
        return
    from app.sandbox import state

    demo_slugs = [a["slug"] for spec in LABELS for a in spec["artists"]]
    releases = db.session.scalars(select(Release).join(Release.artist).where(
        Artist.slug.in_(demo_slugs), Release.isrc.is_not(None))).all()
    added = 0
    for release in releases:
        for platform in (*PLATFORM_KEYS, *RESOLVER_EXTRAS):
            if not state.listed(platform, release.isrc):
                state.add_catalog_item(platform, isrc=release.isrc, title=release.title,
                                       artist=release.artist.name,
                                       release_date=release.release_local.date().isoformat())
                added += 1
            if release.is_album and saved_kind(platform, True) == "album" and \
                    not state.find_catalog(platform, upc=release.upc):
                _demo_album(state, platform, release)
                added += 1
        if release.is_album:
            _focus_track_links(state, release)
    if added:
        echo(f"Sandbox catalogue: {added} demo tracks registered.")
    linked = sum(_links_of_the_past(release) for release in releases
                 if release.status in (RELEASED, ARCHIVED) and release.links_checked_at is None)
    db.session.commit()
    if linked:
        echo(f"Streaming links: {linked} found on the demo's past release days.")


def _demo_album(state, platform, release):
    """An EP of the demo in the sandbox: its focus track, then EP_TRACKS, then the album."""
    day = release.release_local.date().isoformat()
    tracks = [state.find_catalog(platform, isrc=release.isrc)[0]["id"]] + [
        state.add_catalog_item(platform, isrc=f"QZDEM27{release.id % 10000:04d}{n}", title=title,
                               artist=release.artist.name, release_date=day)["id"]
        for n, title in enumerate(EP_TRACKS, 1)]
    state.add_catalog_item(platform, upc=release.upc, title=release.title, kind="album",
                           artist=release.artist.name, release_date=day, tracks=tracks)


def _focus_track_links(state, release):
    """Where albums are not saved, an EP's pre-saves save its focus track: its link, as staff
    set it by hand (no look-up finds a focus track there)."""
    for platform in release.platforms or []:
        if saved_kind(platform, True) == "track" and \
                streaming_links.link(release.id, platform) is None:
            focus = state.find_catalog(platform, isrc=release.isrc)[0]
            url = DESCRIPTORS[platform].item_url.format(kind="track", id=focus["id"], apple="song")
            streaming_links.set_link(release, platform, url, actor="the demo")


def _links_of_the_past(release):
    """A release out for days has been through its link look-ups: what the look-up finds now,
    dated to its release day, and the look-ups over (given up on what is still missing, 72 h
    after the release) without a warning at start for what happened long ago."""
    made = sum(bool(outcome.link and outcome.looked)
               for outcome in streaming_links.resolve(release).values())
    day = release.release_at + timedelta(minutes=5)
    for link in release.links:
        link.found_at = min(link.found_at, day)
    done = release.release_at + streaming_links.GIVE_UP_AFTER
    release.links_attempts = len(AFTER_RELEASE) + 1
    release.links_checked_at, release.links_next_check_at = done, None
    release.links_gave_up_at = done if streaming_links.missing(release) else None
    return made


def _label(spec):
    label = db.session.scalars(select(Label).where(Label.slug == spec["slug"])).first()
    if label is None:
        label = Label(name=spec["name"], slug=spec["slug"], timezone=spec["timezone"])
        db.session.add(label)
    return label


def _artist(label, spec):
    artist = db.session.scalars(select(Artist).where(Artist.slug == spec["slug"])).first()
    if artist is None:
        primary, accent, background, text = spec["colors"]
        artist = Artist(label=label, label_id=label.id, name=spec["name"], slug=spec["slug"],
                        timezone=label.timezone, primary_color=primary, accent_color=accent,
                        background_color=background, text_color=text,
                        image=store_image(portrait(spec["slug"], (primary, accent)),
                                          min_pixels=300),
                        bio=f"{spec['name']} is a demo artist on {label.name}.")
        db.session.add(artist)
    return artist


def _release(artist, suffix, title, status, opens_delta, release_days):
    slug = f"{suffix}"
    found = db.session.scalars(select(Release).where(Release.artist_id == artist.id,
                                                     Release.slug == slug)).first()
    if found is not None:
        return found
    tz_name = artist.timezone
    today = now_utc().astimezone(zone(tz_name)).date()
    release_local = datetime.combine(today + timedelta(days=release_days), time(0, 0))
    if release_days > 0 and to_utc(release_local, tz_name).utc - now_utc() < UPCOMING_AT_LEAST:
        release_local += timedelta(days=1)
    opens_local = (now_utc().astimezone(zone(tz_name)) + opens_delta).replace(
        tzinfo=None, second=0, microsecond=0)
    kind = KINDS.get(suffix, SINGLE)
    release = Release(label_id=artist.label_id, title=title, slug=slug, kind=kind,
                      isrc=_demo_isrc(artist, suffix), platforms=list(DEMO_PLATFORMS),
                      upc=_demo_upc(_demo_isrc(artist, suffix)) if kind != SINGLE else None,
                      artwork=store_image(cover(f"{artist.slug}/{suffix}",
                                                (artist.primary_color, artist.accent_color),
                                                title, artist.name)))
    release_rules.schedule(release, opens_local, release_local, tz_name, must_be_future=False)
    release_rules.create(release, artist, "demo")
    if status != DRAFT:
        release_rules.record(release, ANNOUNCED, "demo")
        release_rules.advance(release, "clock")
        if status == ARCHIVED:
            release_rules.archive(release, "demo")
    return release


def _demo_isrc(artist, suffix):
    number = 10000 + (artist.id or 0) * 10 + [r[0] for r in RELEASES].index(suffix)
    return f"QZDEM26{number:05d}"


def _demo_upc(isrc):
    """A UPC-A made from the demo ISRC's number, with its check digit."""
    body = "099999" + isrc[-5:]
    return next(body + digit for digit in "0123456789" if gtin_check_digit_ok(body + digit))


def _repair_logins(echo):
    """Demo logins made before their role existed (an earlier `demo` before `init`) get it."""
    sm = current_app.appbuilder.sm
    repaired = []
    for email, _, role_name, *_ in USERS:
        user, role = sm.find_user(email=email), sm.find_role(role_name)
        if user is not None and role not in user.roles:
            user.roles.append(role)
            repaired.append(email)
    if repaired:
        db.session.commit()
        echo(f"Demo logins given their role again: {', '.join(repaired)}")


def _user(labels, artists, email, password, role_name, label_slug, artist_slug, names):
    sm = current_app.appbuilder.sm
    if sm.find_user(email=email):
        return
    user = sm.add_user(username=email, first_name=names[0], last_name=names[1], email=email,
                       role=sm.find_role(role_name), password=password)
    user.label_id = labels[label_slug].id if label_slug else None
    user.artist_id = artists[artist_slug].id if artist_slug else None
    db.session.add(user)
