"""A scripted set of events for the analytics tests, and the numbers they must produce."""
import uuid
from datetime import datetime, timedelta, timezone

from app.extensions import db
from app.models import Artist, Event, Label, Release
from app import releases as release_rules

UTC = timezone.utc
DAY1 = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # half an hour before the UTC day ends
DAY2 = DAY1 + timedelta(hours=1)                  # the next UTC day
LISBON = dict(country="PT", region="Lisbon", city="Lisbon", latitude=38.72, longitude=-9.14)
BERLIN = dict(country="DE", region="Land Berlin", city="Berlin", latitude=52.52, longitude=13.4)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def new_release(artist, title="Tidewater"):
    release = Release(artist=artist, label_id=artist.label_id, title=title, slug=unique("tide"),
                      platforms=["spotify", "deezer"])
    release_rules.schedule(release, datetime(2026, 2, 1), datetime(2026, 4, 1), "UTC",
                           must_be_future=False)
    db.session.add(release)
    db.session.flush()
    return release


def new_artist(label_id, name="Quay Lights"):
    artist = Artist(label_id=label_id, name=name, slug=unique("quay"), timezone="UTC")
    db.session.add(artist)
    db.session.flush()
    return artist


def new_label():
    label = Label(name=unique("Analytics"), slug=unique("analytics"), timezone="UTC")
    db.session.add(label)
    db.session.flush()
    return label


def event(release, kind, at, **fields):
    return Event(label_id=release.label_id, artist_id=release.artist_id, release_id=release.id,
                 kind=kind, occurred_at=at, **fields)


def scripted(release):
    """Day 1: 4 views (3 Lisbon via instagram, 1 Berlin direct), 3 Spotify clicks, 1 Deezer
    click, 3 authorizations, 2 pre-saves (Spotify, Deezer). Day 2: 2 views (Berlin, campaign
    "launch" from a newsletter), 1 Spotify click, 1 pre-save (Spotify); 2 deliveries."""
    ig = dict(referrer="https://www.instagram.com/p/abc?x=1", **LISBON)
    mail = dict(utm_source="newsletter", utm_medium="email", utm_campaign="launch", **BERLIN)
    return [
        *[event(release, "page_view", DAY1, **ig) for _ in range(3)],
        event(release, "page_view", DAY1, **BERLIN),
        *[event(release, "platform_click", DAY1, platform="spotify", **ig) for _ in range(3)],
        event(release, "platform_click", DAY1, platform="deezer", **BERLIN),
        *[event(release, "authorization_started", DAY1, platform="spotify", **ig)
          for _ in range(2)],
        event(release, "authorization_started", DAY1, platform="deezer", **BERLIN),
        event(release, "presave_completed", DAY1, platform="spotify", **ig),
        event(release, "presave_completed", DAY1, platform="deezer", **BERLIN),
        *[event(release, "page_view", DAY2, **mail) for _ in range(2)],
        event(release, "platform_click", DAY2, platform="spotify", **mail),
        event(release, "presave_completed", DAY2, platform="spotify", **mail),
        event(release, "delivered", DAY2, platform="spotify"),
        event(release, "delivered", DAY2, platform="deezer"),
    ]
