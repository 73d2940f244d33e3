"""The demo's audience: fans who found each demo release over the last weeks, from real
cities (addresses the bundled GeoIP database places), through social posts, search and
newsletters, who pre-saved on every platform; the release that is out has its release night
in the ledger (delivered, failed with reasons, retrying), the one out tonight waits for it.

Deterministic: one seeded random generator per artist, times relative to now, so two demos
made on the same day look alike. Idempotent per artist: an artist with demo fans is left as
it is."""
import ipaddress
import random
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import case, func, select

from app.analytics import geoip
from app.crypto import keyring
from app.extensions import db
from app.jobs.analytics import count_deliveries, insert_events
from app.localtime import now_utc
from app.models import Authorization, Consent, Event, Fan, PreSave, Release
from app.models.fan import EMAIL_MARKETING, RELEASE_REMINDER
from app.models.fan_source import FanSource
from app.models.presave import CANCELLED, DELIVERED, FAILED, PENDING, REMIND, SAVE
from app.models.release import ANNOUNCED, ARCHIVED, PRESAVE_ACTIVE, RELEASED
from app.platform_table import (AMAZON_MUSIC, APPLE_MUSIC, DEEZER, SPOTIFY, TIDAL,
                                YOUTUBE_MUSIC)
from app.platforms.registry import client_class
from app.presaves.record import delivery_instant
from app.releases import share_links
from app.releases.ledger import RETRYING

SEED = 2026
DEMO_FANS = 2400  # across the four demo artists
FAN_DOMAIN = "listeners.presave.test"
PLACES = 60
BATCH = 5000

PLATFORM_SHARE = [(SPOTIFY, 46), (APPLE_MUSIC, 24), (YOUTUBE_MUSIC, 11), (AMAZON_MUSIC, 8),
                  (DEEZER, 7), (TIDAL, 4)]
# (weight, referring site, utm_source, utm_medium, utm_campaign)
SOURCES = [(28, "instagram.com", "instagram", "social", "teaser-reel"),
           (16, "tiktok.com", None, None, None), (10, "t.co", None, None, None),
           (9, "youtube.com", "youtube", "video", "lyric-video"), (8, "google.com", None, None, None),
           (7, None, "newsletter", "email", "release-week"), (4, "linktr.ee", None, None, None),
           (18, None, None, None, None)]
# The share kit's links the tagged visits came through: utm_source -> (name, preset)
LINKED = {"instagram": ("Instagram bio", "instagram_bio"),
          "newsletter": ("Email newsletter", "email")}
DEVICES = [("mobile", 78), ("desktop", 18), ("tablet", 4)]
# Of the saves on a release night: (weight, state, attempts, last error)
NIGHT = [(88, DELIVERED, 1, None),
         (3, FAILED, 1, "authorization_expired_or_revoked"),
         (2, FAILED, 8, "gave up after 8 attempts: Bad gateway"),
         (1, FAILED, 1, "item not available: not available in the fan's country"),
         (3, PENDING, 2, "platform paused (Retry-After)"),
         (3, CANCELLED, 0, "fan_disconnected")]
FIRST = ["Ada", "Ben", "Chloe", "Dev", "Elif", "Femi", "Grace", "Hiro", "Ines", "Jonas", "Kemi",
         "Luca", "Maya", "Nils", "Olu", "Priya", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera",
         "Wren", "Ximena", "Yusuf", "Zoe", "Amara", "Bruno", "Cleo", "Dario", "Esme", "Farid"]
LAST = ["Adeyemi", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito",
        "Jansen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov", "Quist",
        "Rossi", "Silva", "Tanaka", "Usman", "Varga", "Walsh", "Yilmaz", "Zhou"]
# Of the click → sign-in → pre-save funnel, and what share of visitors view twice.
CLICKS, SIGN_INS, COMPLETES, TWICE, IN_APP = .46, .86, .9, .3, .08


@dataclass
class Visit:
    at: object
    visitor: str
    place: geoip.Place
    source: tuple
    device: str
    in_app: bool


def populate(artists, fans=DEMO_FANS, echo=print):
    """Give each demo artist without an audience its share of ``fans``; returns how many
    artists got one now."""
    waiting = [artist for artist in artists if not _has_audience(artist)]
    if fans <= 0 or not waiting:
        return 0
    places = place_pool(random.Random(SEED))
    for artist in waiting:
        name, share = artist.name, fans // len(artists)
        events = _Audience(artist, places, share).build()
        db.session.commit()
        for start in range(0, len(events), BATCH):
            insert_events(events[start:start + BATCH])
        echo(f"  {name}: {share} fans, {len(events)} events")
    count_deliveries()  # the `delivered` events, from the ledger, as the cron makes them
    return len(waiting)


def counts(ids):
    """What the audience of the artists ``ids`` amounts to, read from the database."""
    shown = case(((PreSave.state == PENDING) & (PreSave.attempts > 0), RETRYING),
                 else_=PreSave.state)
    states = dict(db.session.execute(
        select(shown, func.count()).where(PreSave.artist_id.in_(ids)).group_by(shown)).all())
    return {"fans": db.session.scalar(select(func.count(Fan.id)).where(Fan.artist_id.in_(ids))),
            "presaves": sum(states.values()), "states": states,
            "events": db.session.scalar(select(func.count(Event.id))
                                        .where(Event.artist_id.in_(ids))),
            "cities": db.session.scalar(select(func.count(func.distinct(Event.city)))
                                        .where(Event.artist_id.in_(ids), Event.city != ""))}


def describe(found):
    states = ", ".join(f"{n} {state}" for state, n in sorted(found["states"].items()))
    return (f"{found['fans']} fans from {found['cities']} cities, {found['presaves']} pre-saves "
            f"({states or 'none'}), {found['events']} events")


def place_pool(rng, size=PLACES):
    """Places the bundled GeoIP database gives a city for, found by trying addresses."""
    found, seen = [], set()
    while len(found) < size:
        address = str(ipaddress.IPv4Address(rng.randrange(1 << 24, 223 << 24)))
        place = geoip.locate(address)
        if place.city and place.timezone and (place.city, place.country) not in seen:
            seen.add((place.city, place.country))
            found.append(place)
    return found


def _has_audience(artist):
    return db.session.scalar(select(Fan.id).where(Fan.artist_id == artist.id,
                                                  Fan.email.like(f"%@{FAN_DOMAIN}")).limit(1))


class _Audience:
    """One artist's fans, grants, pre-saves, consents, sources and events."""

    def __init__(self, artist, places, fans):
        self.artist, self.rng, self.now = artist, random.Random(f"{SEED}:{artist.slug}"), now_utc()
        self.places = places
        # a few cities carry most of an artist's audience, as they do
        self.weights = [1 / (rank + 1) ** .8 for rank in range(len(places))]
        self.rng.shuffle(self.weights)
        self.fans_left, self.events, self.made = fans, [], []
        self.ring = keyring()
        self.links = {}  # (release id, utm_source) -> short link id

    def build(self):
        """Fans of the archived release (a tenth), of the one out now (over half) and of the
        one out tonight (the rest, with returning fans of the earlier ones); views of the
        Coming Soon page."""
        releases = {r.status: r for r in db.session.scalars(
            select(Release).where(Release.artist_id == self.artist.id)).all()}
        total = self.fans_left
        for status, new_fans, returning in ((ARCHIVED, .1, 0), (RELEASED, .55, 0),
                                            (PRESAVE_ACTIVE, .35, .3)):
            if status in releases:
                self._campaign(releases[status], round(total * new_fans / (1 - returning)),
                               returning)
        if ANNOUNCED in releases:
            self._views_only(releases[ANNOUNCED], total // 3)
        return self.events

    def _campaign(self, release, presavers, returning):
        """Visits from the pre-save's opening to the release (and after, when it is out), the
        funnel's steps as events, and ``presavers`` pre-saves (``returning`` of them by fans
        of earlier releases)."""
        end = min(release.release_at, self.now)
        visitors = int(presavers / (CLICKS * SIGN_INS * COMPLETES))
        for _ in range(visitors):
            visit = self._visit(release.presave_opens_at, end)
            self._view(release, visit)
            if self.rng.random() > CLICKS:
                continue
            platform = self._pick(PLATFORM_SHARE)
            self._event(release, "platform_click", visit, platform)
            if visit.in_app:
                self._remind(release, visit, platform)
                continue
            if self.rng.random() > SIGN_INS:
                continue
            self._event(release, "authorization_started", visit, platform)
            if self.rng.random() <= COMPLETES:
                self._presave(release, visit, platform, returning)
        if release.status in (RELEASED, ARCHIVED):
            self._after_release(release, visitors // 2)

    def _views_only(self, release, visitors):
        start = max(release.created_at, self.now - timedelta(days=10))
        for _ in range(visitors):
            self._view(release, self._visit(start, self.now))

    def _after_release(self, release, visitors):
        end = min(self.now, release.release_at + timedelta(days=21))
        for _ in range(visitors):
            visit = self._visit(release.release_at, end, ramp=2.5)
            self._view(release, visit)
            if self.rng.random() < .55:
                self._event(release, "stream_click", visit, self._pick(PLATFORM_SHARE))

    def _visit(self, start, end, ramp=.7):
        """A visit between start and end; ramp < 1 crowds visits towards the end (the hype
        before a release), > 1 towards the start (the days right after it)."""
        span = (end - start).total_seconds()
        at = start + timedelta(seconds=span * self.rng.random() ** ramp)
        place = self.rng.choices(self.places, self.weights)[0]
        return Visit(at, f"{self.rng.getrandbits(128):032x}", place, self._pick_source(),
                     self._pick(DEVICES), self.rng.random() < IN_APP)

    def _view(self, release, visit):
        if self._link(release, visit) is not None:
            self._event(release, "link_visit", visit)
        self._event(release, "page_view", visit)
        if self.rng.random() < TWICE:
            self._event(release, "page_view", visit)

    def _event(self, release, kind, visit, platform=None, at=None):
        _, referrer, utm_source, utm_medium, utm_campaign = visit.source
        place = visit.place
        self.events.append(Event(
            label_id=release.label_id, artist_id=release.artist_id, release_id=release.id,
            kind=kind, platform=platform, occurred_at=at or visit.at, visitor_hash=visit.visitor,
            city=place.city, region=place.region, country=place.country,
            latitude=place.latitude, longitude=place.longitude, timezone=place.timezone,
            referrer=referrer, utm_source=utm_source, utm_medium=utm_medium,
            utm_campaign=utm_campaign, device_class=visit.device, in_app_browser=visit.in_app,
            link_id=self._link(release, visit)))

    def _link(self, release, visit):
        """The id of the short link a tagged visit came through, made on first use with the
        visit's own tags."""
        _, _, utm_source, utm_medium, utm_campaign = visit.source
        if utm_source not in LINKED:
            return None
        key = (release.id, utm_source)
        if key not in self.links:
            name, preset = LINKED[utm_source]
            self.links[key] = share_links.create(
                release, name, preset, actor="demo", utm_source=utm_source,
                utm_medium=utm_medium, utm_campaign=utm_campaign).id
        return self.links[key]

    def _fan(self, visit, returning=0.0):
        if self.made and self.rng.random() < returning:
            return self.rng.choice(self.made)
        if self.fans_left <= 0:
            return None
        self.fans_left -= 1
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        number = len(self.made) + 1
        fan = Fan(artist_id=self.artist.id, label_id=self.artist.label_id,
                  name=f"{first} {last}", city=visit.place.city, country=visit.place.country,
                  timezone=visit.place.timezone, created_at=visit.at,
                  email=f"{first}.{last}.{number}@{FAN_DOMAIN}".lower())
        db.session.add(fan)
        db.session.flush()
        _, referrer, utm_source, utm_medium, utm_campaign = visit.source
        db.session.add(FanSource(fan_id=fan.id, label_id=fan.label_id, artist_id=fan.artist_id,
                                 referrer=referrer, utm_source=utm_source, utm_medium=utm_medium,
                                 utm_campaign=utm_campaign, created_at=visit.at))
        if self.rng.random() < .55:
            self._consent(fan, EMAIL_MARKETING, self.artist.consent_email_text, visit.at)
        self.made.append(fan)
        return fan

    def _consent(self, fan, purpose, wording, at):
        db.session.add(Consent(fan_id=fan.id, label_id=fan.label_id, artist_id=fan.artist_id,
                               purpose=purpose, wording=wording, given_at=at))

    def _presave(self, release, visit, platform, returning):
        fan = self._fan(visit, returning)
        if fan is None or db.session.scalar(select(PreSave.id).where(
                PreSave.release_id == release.id, PreSave.fan_id == fan.id,
                PreSave.platform == platform)):
            return
        grant = self._grant(fan, platform, visit.at)
        self._ledger_row(release, fan, platform, SAVE, grant, visit.at)
        self._event(release, "presave_completed", visit, platform)

    def _remind(self, release, visit, platform):
        fan = self._fan(visit)
        if fan is None:
            return
        self._consent(fan, RELEASE_REMINDER, "Send me the link on release day.", visit.at)
        self._ledger_row(release, fan, platform, REMIND, None, visit.at)
        self._event(release, "reminder_signup", visit, platform)

    def _grant(self, fan, platform, at):
        grant = db.session.scalar(select(Authorization).where(
            Authorization.fan_id == fan.id, Authorization.platform == platform))
        if grant is not None:
            return grant
        account = f"demo{self.rng.getrandbits(48):012x}"
        client = client_class(platform)
        scopes = list(dict.fromkeys(client.base_scopes + client.write_scopes))
        grant = Authorization(fan_id=fan.id, label_id=fan.label_id, artist_id=fan.artist_id,
                              platform=platform, platform_user_id=account, granted_at=at,
                              scopes=client.scope_separator.join(scopes))
        grant.set_tokens(self.ring, *_tokens(client, account, scopes))
        db.session.add(grant)
        db.session.flush()
        return grant

    def _ledger_row(self, release, fan, platform, action, grant, at):
        row = PreSave(release_id=release.id, fan_id=fan.id, label_id=release.label_id,
                      artist_id=release.artist_id, platform=platform, action=action,
                      authorization_id=grant and grant.id, state=PENDING, attempts=0,
                      created_at=at, updated_at=at,
                      next_attempt_at=delivery_instant(release, fan.timezone))
        if release.status in (RELEASED, ARCHIVED):
            self._night(row, release)
        db.session.add(row)

    def _night(self, row, release):
        """How the release night went for this row (reminders were all sent)."""
        _, state, attempts, error = (self.rng.choices(NIGHT, [n[0] for n in NIGHT])[0]
                                     if row.action == SAVE else (0, DELIVERED, 1, None))
        done = release.release_at + timedelta(seconds=self.rng.randrange(5, 1800))
        row.state, row.attempts, row.last_error, row.updated_at = state, attempts, error, done
        if state == DELIVERED:
            row.delivered_at = done
            row.saved_as = "track" if row.action == SAVE else None
        # retrying: the next attempt soon, so a running demo's worker finishes it
        row.next_attempt_at = (self.now + timedelta(minutes=self.rng.randrange(5, 60))
                               if state == PENDING else None)

    def _pick(self, weighted):
        return self.rng.choices([value for value, _ in weighted], [w for _, w in weighted])[0]

    def _pick_source(self):
        return self.rng.choices(SOURCES, [source[0] for source in SOURCES])[0]


def _tokens(client, account, scopes):
    """(access, refresh) tokens the built-in sandbox honours, so the demo's release night
    really delivers; without the sandbox, tokens no platform knows (those saves will fail)."""
    if not current_app.config.get("SANDBOX_ENABLED"):
        return "demo-access-token", "demo-refresh-token"
    from app.sandbox import state

    client_id = client.sandbox_credentials(current_app.config).client_id
    grant = state.create_grant(client.key, account, client_id, scopes)
    return (state.issue_access(client.key, grant["id"], 0),
            state.issue_refresh(client.key, grant["id"]))
