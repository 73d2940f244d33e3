"""The automations: messages tied to a release's stages, per artist (defaults below, each
editable or off), and who may get each of them.

queue(kind, release, fan, …) puts a fan on the release's message of that kind as a ledger
row (app.models.message.MessageRecipient), due after the automation's delay; the send job
(app.jobs.messages) checks everything again when the row's time comes: consent, erasure,
suppression and the one-a-day cap.
"""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app import languages
from app.extensions import db
from app.languages import N_
from app.localtime import now_utc
from app.models import Automation, Message, MessageRecipient, Release
from app.models.fan import EMAIL_MARKETING, PRESAVE_OPENS, RELEASE_REMINDER, SMS_MARKETING
from app.models.message import (BLAST, EMAIL, FOLLOW_UP, ITS_OUT, OPENS, QUEUED, RECONSENT,
                                SMS, THANK_YOU)
from app.models.release import ARCHIVED


@dataclass(frozen=True)
class Settings:
    kind: str
    enabled: bool
    delay_minutes: int
    subject: str
    body: str
    sms_body: str | None


# Each automation's default words in English, marked for the catalogues: a fan reading another
# language gets them translated (default_words), the artist's own words for it where written.
# Translators keep {merge_fields} and {% if %}…{% endif %} as they are.
_HI = N_("Hi{% if fan_first_name %} {fan_first_name}{% endif %},")
WORDS = {  # kind -> (subject, email text after the greeting, SMS)
    THANK_YOU: (
        N_("You pre-saved “{release_title}” by {artist_name}"),
        N_("Thanks for pre-saving “{release_title}” by {artist_name}. It comes out on "
           "{release_date_local}, and we take care of the rest that day.\n\n"
           "Everything about the release is on its page:\n{fan_page_url}\n"),
        N_("Thanks for pre-saving “{release_title}” by {artist_name}! Out "
           "{release_date_local}: {fan_page_url}")),
    ITS_OUT: (
        N_("“{release_title}” by {artist_name} is out now"),
        N_("“{release_title}” by {artist_name} is out now. {% if in_library %}It's in your "
           "{platform_name} library already: we saved it there at release time. Play it:"
           "{% else %}Listen on {platform_name}:{% endif %}\n{stream_url}\n"),
        N_("“{release_title}” by {artist_name} is out now{% if in_library %}, in your "
           "{platform_name} library{% endif %}: {stream_url}")),
    OPENS: (
        N_("Pre-save “{release_title}” by {artist_name} now"),
        N_("The pre-save for “{release_title}” is open. One tap and it's in your library "
           "the moment it's out:\n{fan_page_url}\n"),
        N_("Pre-save “{release_title}” by {artist_name} now: {fan_page_url}")),
    FOLLOW_UP: (
        N_("Thanks for listening to “{release_title}”"),
        N_("“{release_title}” has been out a week. Thanks for being there from the start. "
           "There is more from {artist_name} on the page:\n{fan_page_url}\n"),
        N_("Thanks for listening to “{release_title}” by {artist_name}: {fan_page_url}")),
    RECONSENT: (
        N_("Tap once to keep your pre-save of “{release_title}”"),
        N_("{platform_name} ends the permission you gave before “{release_title}” comes "
           "out on {release_date_local}. Tap once to renew it, and the release still lands "
           "in your library:\n{fan_page_url}\n"),
        N_("Keep your pre-save of “{release_title}”: tap once to renew it {fan_page_url}")),
}
ON = {THANK_YOU: (True, 5), ITS_OUT: (True, 0), OPENS: (True, 0),
      FOLLOW_UP: (False, 7 * 24 * 60), RECONSENT: (True, 0)}  # kind -> (enabled, delay minutes)


@dataclass(frozen=True)
class Words:
    subject: str
    body: str
    sms_body: str | None


def default_words(kind, translate=lambda text: text):
    """The automation's default words, each put through ``translate``."""
    subject, text, sms = WORDS[kind]
    return Words(translate(subject), f"{translate(_HI)}\n\n{translate(text)}", translate(sms))


def _default(kind):
    words = default_words(kind)
    return Settings(kind, *ON[kind], words.subject, words.body, words.sms_body)


DEFAULTS = {kind: _default(kind) for kind in WORDS}
NAMES = {THANK_YOU: "Thank you", ITS_OUT: "It's out", OPENS: "Pre-save opens",
         FOLLOW_UP: "Follow-up", RECONSENT: "Re-consent", BLAST: "Blast"}

# The consents that let a message of a kind go out on a channel (any one of them will do):
# the fan's ask for the release's messages, or the channel's marketing consent.
CONSENTS = {
    THANK_YOU: {EMAIL: (RELEASE_REMINDER, EMAIL_MARKETING), SMS: (RELEASE_REMINDER, SMS_MARKETING)},
    ITS_OUT: {EMAIL: (RELEASE_REMINDER, EMAIL_MARKETING), SMS: (RELEASE_REMINDER, SMS_MARKETING)},
    RECONSENT: {EMAIL: (RELEASE_REMINDER, EMAIL_MARKETING),
                SMS: (RELEASE_REMINDER, SMS_MARKETING)},
    OPENS: {EMAIL: (PRESAVE_OPENS,), SMS: (PRESAVE_OPENS,)},
    FOLLOW_UP: {EMAIL: (EMAIL_MARKETING,), SMS: (SMS_MARKETING,)},
    BLAST: {EMAIL: (EMAIL_MARKETING,), SMS: (SMS_MARKETING,)},
}


def settings(artist_id, kind):
    """The artist's settings for an automation: its own row, else the default."""
    row = _row(artist_id, kind)
    if row is None:
        return DEFAULTS[kind]
    return Settings(kind, row.enabled, row.delay_minutes, row.subject, row.body, row.sms_body)


def _row(artist_id, kind):
    return db.session.scalars(select(Automation).where(Automation.artist_id == artist_id,
                                                       Automation.kind == kind)).first()


def written_in(artist_id, kind, language):
    """The artist's own words for an automation in ``language`` (not English), or None."""
    row = _row(artist_id, kind)
    written = ((row.translations or {}) if row is not None else {}).get(language.code)
    return Words(written["subject"], written["body"], written.get("sms_body")) if written \
        else None


def words_in(artist_id, kind, language):
    """An automation's words for a fan reading ``language`` (not English): the artist's own
    for it, else the defaults translated."""
    return written_in(artist_id, kind, language) or default_words(
        kind, lambda text: languages.gettext_in(language, text))


def words_for(message, language):
    """What ``message`` says to a fan reading ``language``: its own words in English, and a
    blast always (staff write it in the language they choose); an automation's in the fan's
    language otherwise."""
    if language.code == languages.ENGLISH or message.kind not in WORDS:
        return Words(message.subject, message.body, message.sms_body)
    return words_in(message.artist_id, message.kind, language)


def save_in(artist, kind, language, words):
    """Store the artist's words for ``kind`` in ``language`` (not English); words equal to the
    translated defaults are not stored, so they follow the catalogue."""
    row = _row(artist.id, kind)
    if row is None:
        chosen = DEFAULTS[kind]
        row = Automation(label_id=artist.label_id, artist_id=artist.id, kind=kind,
                         enabled=chosen.enabled, delay_minutes=chosen.delay_minutes,
                         subject=chosen.subject, body=chosen.body, sms_body=chosen.sms_body)
        db.session.add(row)
    kept = dict(row.translations or {})
    defaults = default_words(kind, lambda text: languages.gettext_in(language, text))
    if words == defaults:
        kept.pop(language.code, None)
    else:
        kept[language.code] = {"subject": words.subject, "body": words.body,
                               "sms_body": words.sms_body or None}
    row.translations = kept
    return row


# What staff may change: the delay only where waiting makes sense, in the unit that reads.
DELAY_UNITS = {THANK_YOU: ("minutes", 1), FOLLOW_UP: ("days", 24 * 60)}
DESCRIPTIONS = {
    THANK_YOU: "After a fan pre-saves or asks for a reminder: what happens on release day.",
    ITS_OUT: "At the release instant (local mode: the fan's midnight), to every pre-saver: "
             "in their library, or the link. Fans who asked for a reminder get it even when "
             "this is off.",
    OPENS: "When the pre-save opens, to fans who asked on the Coming Soon page.",
    FOLLOW_UP: "Some days after the release, to fans who agreed to marketing messages.",
    RECONSENT: "Before a fan's platform permission ends ahead of the release: one tap renews it.",
}


def save(artist, kind, enabled, delay_minutes, subject, body, sms_body):
    """Store the artist's settings for ``kind`` (checked templates); the messages of that
    kind still going out (releases not archived) take the new words (reword)."""
    row = db.session.scalars(select(Automation).where(Automation.artist_id == artist.id,
                                                      Automation.kind == kind)).first()
    if row is None:
        row = Automation(label_id=artist.label_id, artist_id=artist.id, kind=kind)
        db.session.add(row)
    row.enabled, row.delay_minutes = enabled, delay_minutes
    row.subject, row.body, row.sms_body = subject, body, sms_body or None
    live = db.session.scalars(select(Message).join(Release, Release.id == Message.release_id)
                              .where(Message.artist_id == artist.id, Message.kind == kind,
                                     Release.status != ARCHIVED)).all()
    for message in live:
        reword(message, subject, body, sms_body or None)
    return row


def reword(message, subject, body, sms_body):
    """New words for an automation's message. Before anyone got it, the message takes them;
    after, it keeps the words its fans read (the ledger says what was sent), steps aside
    under a key of its own, and a new message of the release and kind, with the new words,
    takes over the rows still waiting. The message that carries on; None when unchanged."""
    if (message.subject, message.body, message.sms_body) == (subject, body, sms_body):
        return None
    if not _has_gone(message):
        message.subject, message.body, message.sms_body = subject, body, sms_body
        return message
    key, name, now = message.automation_key, message.name, now_utc()
    message.automation_key = f"{key}@{message.id}"
    message.name = f"{name} · words until {now:%-d %b %Y, %H:%M} UTC"
    db.session.flush()
    successor = Message(label_id=message.label_id, artist_id=message.artist_id,
                        release_id=message.release_id, kind=message.kind, automation_key=key,
                        name=name, subject=subject, body=body, sms_body=sms_body,
                        channels=message.channels)
    db.session.add(successor)
    db.session.flush()
    db.session.execute(update(MessageRecipient).where(
        MessageRecipient.message_id == message.id, MessageRecipient.state == QUEUED)
        .values(message_id=successor.id, updated_at=now)
        .execution_options(synchronize_session=False))
    return successor


def _has_gone(message):
    """Has the message left for someone, or is it leaving (anything but queued)?"""
    return db.session.scalar(select(MessageRecipient.id).where(
        MessageRecipient.message_id == message.id, MessageRecipient.state != QUEUED)
        .limit(1)) is not None


def consented(fan, kind, channel):
    """Does the fan hold a live consent that lets a ``kind`` message go out on ``channel``?"""
    wanted = CONSENTS[kind][channel]
    return any(c.purpose in wanted and c.withdrawn_at is None for c in fan.consents)


def contact(fan, channel):
    return fan.email if channel == EMAIL else fan.phone


def channel_for(fan, kind):
    """Email when the fan left one and agreed, else SMS likewise, else None."""
    if fan.erased_at is not None:
        return None
    for channel in (EMAIL, SMS):
        if contact(fan, channel) and consented(fan, kind, channel):
            return channel
    return None


def queue(kind, release, fan, platform=None, after=None, force=False):
    """Put ``fan`` on the release's ``kind`` message, due ``after`` (now) plus the
    automation's delay; the new ledger row, or None (off, no contact or consent, already
    there). ``force``: even when the artist turned the automation off (a fan's reminder)."""
    chosen = settings(release.artist_id, kind)
    channel = channel_for(fan, kind)
    if not (chosen.enabled or force) or channel is None:
        return None
    message = message_for(kind, release, chosen)
    if _on(message, fan, channel):
        return None
    row = MessageRecipient(message_id=message.id, fan_id=fan.id, release_id=release.id,
                           label_id=release.label_id, artist_id=release.artist_id,
                           platform=platform, channel=channel, state=QUEUED,
                           next_attempt_at=(after or now_utc())
                           + timedelta(minutes=chosen.delay_minutes))
    try:
        with db.session.begin_nested():  # the same fan queued at once from two requests
            db.session.add(row)
    except IntegrityError:
        return None
    return row


def _on(message, fan, channel):
    """Is the fan on the release's message of this kind, in these words or earlier ones?"""
    return db.session.scalar(select(MessageRecipient.id).join(
        Message, Message.id == MessageRecipient.message_id).where(
        Message.release_id == message.release_id, Message.kind == message.kind,
        MessageRecipient.fan_id == fan.id, MessageRecipient.channel == channel)
        .limit(1)) is not None


def fans_on(kind, release_id):
    """Fans the release's ``kind`` message has already, in any of its words (once is enough,
    whatever happened)."""
    return set(db.session.scalars(
        select(MessageRecipient.fan_id).join(Message, Message.id == MessageRecipient.message_id)
        .where(Message.release_id == release_id, Message.kind == kind)))


def automation_key(kind, release_id):
    return f"{kind}-{release_id}"


def message_for(kind, release, chosen=None):
    """The release's message of ``kind``, made on first need with the automation's words
    (``chosen``: the artist's settings, read when not given)."""
    key = automation_key(kind, release.id)
    found = _by_key(key)
    if found is not None:
        return found
    chosen = chosen or settings(release.artist_id, kind)
    message = Message(label_id=release.label_id, artist_id=release.artist_id,
                      release_id=release.id, kind=kind, automation_key=key,
                      name=f"{NAMES[kind]} · {release.title}", subject=chosen.subject,
                      body=chosen.body, sms_body=chosen.sms_body, channels=f"{EMAIL} {SMS}")
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:  # made meanwhile by another request
        return _by_key(key)
    return message


def _by_key(key):
    return db.session.scalars(select(Message).where(Message.automation_key == key)).first()
