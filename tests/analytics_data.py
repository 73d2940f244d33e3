"""A scripted set of events for the analytics tests, and the numbers they must produce."""
import uuid
from datetime import datetime, timedelta, timezone

from app.extensions import db
from app.models import Artist, Event, Label, Release
from app.releases import rules as release_rules

UTC = timezone.utc
DAY1 = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # half an hour before the UTC day ends
DAY2 = DAY1 + timedelta(hours=1)                  # the next UTC day
LISBON = dict(country="PT", region="Lisbon", city="Lisbon", latitude=38.72, longitude=-9.14)
BERLIN = dict(country="DE", region="Land Berlin", city="Berlin", latitude=52.52, longitude=13.4)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def new_release(artist, title="Tidewater", opens=datetime(2026, 2, 1),
                out=datetime(2026, 4, 1)):
    release = Release(artist=artist, label_id=artist.label_id, title=title, slug=unique("tide"),
                      platforms=["spotify", "deezer"])
    release_rules.schedule(release, opens, out, "UTC", must_be_future=False)
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


PASSWORD = "a-long-pass-123"


def store(events):
    """Event rows and their rollups, committed together by the ingest's own code."""
    from app.jobs.analytics import insert_events

    insert_events(events)


def new_user(role_name, label_id, artist_id=None):
    from flask import current_app

    sm = current_app.appbuilder.sm
    email = f"{unique(role_name.lower().replace(' ', '-'))}@analytics.test"
    user = sm.add_user(username=email, first_name="Ana", last_name="Lytics", email=email,
                       role=sm.find_role(role_name), password=PASSWORD)
    user.label_id, user.artist_id = label_id, artist_id
    db.session.add(user)
    db.session.commit()
    return email


def world():
    """Two labels. Label A: artist "Quay Lights" (an Artist user) with an older release
    (2 pre-saves) and "Tidewater" (the scripted events), and a second artist with a release
    of its own (the scripted events too); label B: one artist and release (scripted).
    Users: Label Admin, Label Staff and the Artist user of A; Label Staff of B."""
    from app.models import Consent, Fan
    from app.models.fan_source import FanSource

    label_a, label_b = new_label(), new_label()
    quay, other = new_artist(label_a.id), new_artist(label_a.id, "Moss Harbour")
    stranger = new_artist(label_b.id, "Far Shore")
    older = new_release(quay, "Low Tide", datetime(2025, 1, 1), datetime(2025, 2, 1))
    tide, moss, far = new_release(quay), new_release(other, "Moss"), new_release(stranger, "Far")
    store([event(older, "page_view", DAY1 - timedelta(days=400), **LISBON) for _ in range(4)]
          + [event(older, "presave_completed", DAY1 - timedelta(days=400), platform="spotify",
                   **LISBON) for _ in range(2)])
    for release in (tide, moss, far):
        store(scripted(release))
    fan = Fan(artist=quay, label_id=label_a.id, artist_id=quay.id, name="=HYPERLINK(1)",
              email="fan@quay.test", city="Lisbon", country="PT")
    other_fan = Fan(artist=other, label_id=label_a.id, artist_id=other.id, name="Moss Fan",
                    email="fan@moss.test")
    far_fan = Fan(artist=stranger, label_id=label_b.id, artist_id=stranger.id, name="Far Fan",
                  email="fan@far.test")
    db.session.add_all([fan, other_fan, far_fan])
    db.session.flush()
    db.session.add_all([
        Consent(fan_id=fan.id, label_id=label_a.id, artist_id=quay.id,
                purpose="email_marketing", wording="News by email", given_at=DAY1),
        Consent(fan_id=fan.id, label_id=label_a.id, artist_id=quay.id, purpose="sms_marketing",
                wording="News by SMS", given_at=DAY1, withdrawn_at=DAY2),
        FanSource(fan_id=fan.id, label_id=label_a.id, artist_id=quay.id,
                  referrer="instagram.com", utm_campaign="launch")])
    db.session.commit()
    ids = dict(label_a=label_a.id, label_b=label_b.id, quay=quay.id, other=other.id,
               stranger=stranger.id, older=older.id, tide=tide.id, moss=moss.id, far=far.id,
               fan=fan.id, other_fan=other_fan.id, far_fan=far_fan.id)
    users = dict(admin_a=new_user("Label Admin", label_a.id),
                 staff_a=new_user("Label Staff", label_a.id),
                 artist_a=new_user("Artist", label_a.id, quay.id),
                 staff_b=new_user("Label Staff", label_b.id))
    return ids, users
