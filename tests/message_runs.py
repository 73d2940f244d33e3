"""Messages to fans driven from a test: the reconciler's part and a real RQ worker on the
messages queue, the ledger rows a release's messages left, time passing for them, and fans
and forms for blasts."""
import re
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from rq import SimpleWorker
from sqlalchemy import select, update

from app.extensions import queue, redis_connection
from app.jobs import messages as message_jobs
from app.localtime import now_utc
from app.models import Artist, Consent, Fan, MessageRecipient, Release
from app.presaves import record as presaves
from tests.release_day_runs import ctx


def work(app):
    """What the minute reconciler does for messages, then a worker on their queue."""
    with ctx(app) as session:
        message_jobs.RECIPIENTS.recover()
        message_jobs.enqueue_due(now_utc())
        session.commit()
    with app.app_context():
        SimpleWorker([queue(message_jobs.QUEUE)], connection=redis_connection()).work(burst=True)


def recipient_rows(app, *where):
    """The ledger rows that match, in order, detached."""
    with ctx(app) as session:
        found = session.scalars(select(MessageRecipient).where(*where)
                                .order_by(MessageRecipient.id)).all()
        session.expunge_all()
        return found


def ledger(app, release_slug):
    with ctx(app) as session:
        found = session.scalars(
            select(MessageRecipient).join(Release, MessageRecipient.release_id == Release.id)
            .where(Release.slug == release_slug).order_by(MessageRecipient.id)).all()
        for row in found:
            row.message  # loaded before the session goes
        session.expunge_all()
        return found


def time_passes(app, release_slug):
    """The rows' times have come (the thank-you's five minutes, a quiet night)."""
    with ctx(app) as session:
        release_id = session.scalar(select(Release.id).where(Release.slug == release_slug))
        session.execute(update(MessageRecipient)
                        .where(MessageRecipient.release_id == release_id,
                               MessageRecipient.state == "queued")
                        .values(next_attempt_at=now_utc() - timedelta(seconds=1)))
        session.commit()


BROWSER = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) "
                         "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 "
                         "Safari/604.1"}
TRACKED = re.compile(r"https?://[^\s\"<>]+/s/[a-z0-9-]+/m/[A-Za-z0-9._-]+")


def tracked_links(text):
    """The email's tracked links, in order."""
    return TRACKED.findall(text)


def follow(app, url, headers=BROWSER):
    """Where a tracked link sends a fan (its path and query; the click counted)."""
    answer = app.test_client().get(urlsplit(url).path, headers=headers)
    assert answer.status_code == 302, answer.status_code
    return answer.headers["Location"]


def texting_fan(app, slug, phone=None, withdrawn=False, marketing=False):
    """A fan who left only a phone and asked for the release's reminder on Deezer (withdrawn:
    and took it back; marketing: and agreed to the artist's texts); their number."""
    phone = phone or f"+4915112{uuid.uuid4().int % 10**6:06d}"
    with ctx(app) as session:
        release = session.scalars(select(Release).where(Release.slug == slug)).one()
        artist = session.get(Artist, release.artist_id)
        fan = Fan(artist=artist, label_id=artist.label_id, artist_id=artist.id, phone=phone)
        session.add(fan)
        session.flush()
        for purpose in ("release_reminder", *(("sms_marketing",) if marketing else ())):
            session.add(Consent(fan=fan, fan_id=fan.id, label_id=fan.label_id,
                                artist_id=artist.id, purpose=purpose, wording="Texts",
                                withdrawn_at=now_utc() if withdrawn else None))
        presaves.record_presave(release, fan, "deezer")
        session.commit()
    return phone


def daytime():
    """The next noon UTC: texts to a fan in UTC are not held for the night."""
    from datetime import datetime, time, timezone

    noon = datetime.combine(now_utc().date(), time(12), tzinfo=timezone.utc)
    return noon if noon >= now_utc() else noon + timedelta(days=1)


def make_fan(app, artist_slug, city, country="IS", email=True, phone=False, marketing=(),
             presave_on=None):
    """A fan of the artist in ``city``; ``marketing``: the channels they agreed to."""
    with ctx(app) as session:
        artist = session.scalars(select(Artist).where(Artist.slug == artist_slug)).one()
        fan = Fan(artist=artist, label_id=artist.label_id, artist_id=artist.id, city=city,
                  country=country, name="Sól Jónsdóttir",
                  email=f"fan-{uuid.uuid4().hex[:8]}@example.com" if email else None,
                  phone=f"+35455{uuid.uuid4().int % 10**5:05d}" if phone else None)
        session.add(fan)
        session.flush()
        for channel in marketing:
            session.add(Consent(fan=fan, fan_id=fan.id, label_id=fan.label_id,
                                artist_id=artist.id, purpose=f"{channel}_marketing",
                                wording="News"))
        if presave_on is not None:
            release = session.scalars(select(Release).where(Release.slug == presave_on)).one()
            presaves.record_presave(release, fan, "tidal")
        session.commit()
        return fan.id


def blast_form(**changes):
    data = {"name": "Tour dates", "artist": "", "by_email": "y", "subject": "On tour, {fan_first_name}",
            "body": "Hi {fan_first_name}, {artist_name} plays Reykjavík soon.",
            "sms_body": "", "country": "IS", "city": "", "platform": "", "release": "",
            "presaved": "yes", "joined_from": "", "joined_to": "", "when": "now",
            "send_at": "", "timezone": "Atlantic/Reykjavik", "action": "preview"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}
