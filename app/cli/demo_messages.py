"""The demo's messages to fans, so the Messages page and the release pages show a label at
work: the thank-yous its fans got after pre-saving, the released releases' It's out (a few
bounced, some clicked), and a blast of tour dates a few days ago. Rows are made as already
sent (nothing goes out when the demo runs). Deterministic per artist; an artist with messages
is left as it is."""
import random
from datetime import timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.localtime import now_utc
from app.messaging import automations, blasts
from app.messaging.segments import Segment
from app.models import Fan, Message, MessageRecipient, PreSave, Release
from app.models.message import BOUNCED, ITS_OUT, QUEUED, SENT, THANK_YOU
from app.models.release import ARCHIVED, PRESAVE_ACTIVE, RELEASED

SEED = 2026
BOUNCE_SHARE, CLICK_SHARE = .01, .3
BOUNCE = "bounced: the mail server refused the address (550 5.1.1 No such user here)"


def populate(artists, echo=print):
    """Messages for each demo artist that has none; how many artists got them."""
    made = 0
    for artist in artists:
        if db.session.scalar(select(Message.id).where(Message.artist_id == artist.id).limit(1)) \
                or not db.session.scalar(select(Fan.id).where(Fan.artist_id == artist.id)
                                         .limit(1)):
            continue  # done already, or an artist without fans (the tests' cast)
        rng = random.Random(f"{SEED}:messages:{artist.slug}")
        releases = db.session.scalars(select(Release).where(
            Release.artist_id == artist.id,
            Release.status.in_((ARCHIVED, RELEASED, PRESAVE_ACTIVE)))).all()
        rows = 0
        for release in releases:
            rows += _automation(release, THANK_YOU, rng, lambda fan, first: first
                                + timedelta(minutes=5))
            if release.status != PRESAVE_ACTIVE:
                rows += _automation(release, ITS_OUT, rng, lambda fan, first: release.release_at
                                    + timedelta(seconds=rng.randrange(20, 600)))
        rows += _blast(artist, rng)
        db.session.commit()
        echo(f"  {artist.name}: {rows} messages to fans")
        made += 1
    return made


def _automation(release, kind, rng, when):
    """The release's ``kind`` message, sent to each of its fans with a contact and consent."""
    fans = db.session.execute(
        select(Fan, PreSave.created_at, PreSave.platform).join(PreSave, PreSave.fan_id == Fan.id)
        .where(PreSave.release_id == release.id).order_by(PreSave.created_at)
        .options(selectinload(Fan.consents))).all()
    message, seen, rows = automations.message_for(kind, release), set(), []
    for fan, first, platform in fans:
        channel = automations.channel_for(fan, kind)
        if fan.id in seen or channel is None:
            continue
        seen.add(fan.id)
        rows.append(_row(message, fan, channel, release.id, platform, when(fan, first), rng))
    return _insert(rows)


def _blast(artist, rng):
    """Tour dates, to the artist's fans who agreed to its emails, three days ago."""
    at = now_utc() - timedelta(days=3, hours=rng.randrange(0, 12))
    message, queued = blasts.create(
        artist.label_id, Segment(artist_id=artist.id), "Tour dates",
        "{artist_name} on tour, {fan_first_name}",
        "Hi{% if fan_first_name %} {fan_first_name}{% endif %},\n\n{artist_name} plays twelve "
        "cities this spring, and fans who pre-saved get tickets first.\n\nSee you there.\n",
        None, send_at=at)
    db.session.flush()
    for row in db.session.scalars(select(MessageRecipient).where(
            MessageRecipient.message_id == message.id, MessageRecipient.state == QUEUED)):
        _sent(row, at + timedelta(seconds=rng.randrange(5, 300)), rng)
    return queued


def _row(message, fan, channel, release_id, platform, at, rng):
    row = MessageRecipient(message_id=message.id, fan_id=fan.id, label_id=fan.label_id,
                           artist_id=fan.artist_id, release_id=release_id, platform=platform,
                           channel=channel, created_at=at, next_attempt_at=at)
    _sent(row, at, rng)
    return row


def _sent(row, at, rng):
    bounced = rng.random() < BOUNCE_SHARE
    row.state, row.attempts, row.updated_at = (BOUNCED if bounced else SENT), 1, at
    row.reason, row.clicks = (BOUNCE if bounced else None), 0
    if not bounced:
        row.sent_at, row.provider_id = at, f"<demo-{rng.getrandbits(64):016x}@presave.test>"
        clicked = rng.random() < CLICK_SHARE
        row.clicks = rng.choice((1, 1, 1, 2, 3)) if clicked else 0
        row.first_clicked_at = at + timedelta(minutes=rng.randrange(1, 240)) if clicked else None


def _insert(rows):
    if rows:
        db.session.execute(insert(MessageRecipient), [
            {column.key: getattr(row, column.key) for column in MessageRecipient.__table__.columns
             if column.key != "id"} for row in rows])
    return len(rows)
