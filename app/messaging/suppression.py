"""An artist's suppression list: addresses never messaged again on a channel (an unsubscribe,
a hard bounce, an SMS STOP), what withdrawing a channel takes back, and what a fan's START
gives again.

Addresses are kept as an HMAC under SUPPRESSION_KEY (the same on every replica, and never
rotated), so the list outlives a fan's erasure, and a rotation of SECRET_KEY, without keeping
their address.
"""
import hashlib
import hmac

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.localtime import now_utc
from app.models import Consent, Suppression
from app.models.fan import EMAIL_MARKETING, PRESAVE_OPENS, RELEASE_REMINDER, SMS_MARKETING
from app.models.audience import UNSUBSCRIBE
from app.models.message import EMAIL, SMS
from app.audience_sync import changes as audience_changes
from app.webhooks import events, payloads

# What a fan reached on a channel agreed to: withdrawing the channel takes these back. The
# release's own messages (a reminder, the opening notice) go by email when the fan left one,
# so STOP by SMS takes them back only from a fan without an email.
CHANNEL_PURPOSES = {EMAIL: (EMAIL_MARKETING, RELEASE_REMINDER, PRESAVE_OPENS)}
SMS_PURPOSES, SMS_ONLY_PURPOSES = (SMS_MARKETING,), (RELEASE_REMINDER, PRESAVE_OPENS)


def address_hash(channel, address):
    normal = address.strip().lower() if channel == EMAIL else address.strip()
    key = current_app.config["SUPPRESSION_KEY"].encode()
    return hmac.new(key, f"{channel}:{normal}".encode(), hashlib.sha256).hexdigest()


def suppressed(artist_id, channel, address):
    """Why the address is on the artist's list for ``channel``, or None."""
    return db.session.scalar(select(Suppression.reason).where(
        Suppression.artist_id == artist_id, Suppression.channel == channel,
        Suppression.address_hash == address_hash(channel, address)))


def listed(entries):
    """{(artist id, channel, address): why} for those of the (artist id, channel, address)
    entries on their artist's list, in one query (a batch's worth)."""
    hashed = {(artist_id, channel, address_hash(channel, address)): (artist_id, channel, address)
              for artist_id, channel, address in entries if address}
    if not hashed:
        return {}
    rows = db.session.execute(select(
        Suppression.artist_id, Suppression.channel, Suppression.address_hash, Suppression.reason)
        .where(Suppression.artist_id.in_({a for a, _, _ in hashed}),
               Suppression.address_hash.in_({h for _, _, h in hashed})))
    return {hashed[(a, c, h)]: reason for a, c, h, reason in rows if (a, c, h) in hashed}


def suppress(fan, channel, address, reason):
    """Put the address on the fan's artist's list (once; the first reason stays)."""
    if suppressed(fan.artist_id, channel, address):
        return
    try:
        with db.session.begin_nested():
            db.session.add(Suppression(label_id=fan.label_id, artist_id=fan.artist_id,
                                       channel=channel, reason=reason,
                                       address_hash=address_hash(channel, address)))
    except IntegrityError:
        pass  # listed meanwhile


def withdraw_channel(fan, channel, via, now=None):
    """Take back every live consent of the fan's that messages reach them on ``channel``,
    recording when and how; the purposes withdrawn."""
    now = now or now_utc()
    purposes = CHANNEL_PURPOSES.get(channel) or (
        SMS_PURPOSES + (() if fan.email else SMS_ONLY_PURPOSES))
    taken = []
    for consent in fan.consents:
        if consent.purpose in purposes and consent.withdrawn_at is None:
            consent.withdrawn_at, consent.withdrawn_via = now, via
            taken.append(consent.purpose)
    if taken:
        announce(fan, channel, via, taken)
    return taken


MARKETING_CHANNELS = {EMAIL_MARKETING: EMAIL, SMS_MARKETING: SMS}


def announce(fan, channel, via, purposes):
    """fan.unsubscribed to the label's endpoints that want it; an email unsubscribe to its
    email tools too."""
    events.emit(fan.label_id, "fan.unsubscribed", lambda: payloads.fan(
        fan, channel=channel, via=via, purposes=list(purposes)))
    if channel == EMAIL and EMAIL_MARKETING in purposes:
        audience_changes.fan_changed(fan, UNSUBSCRIBE)


def restore_channel(fan, channel, withdrawn_via, again):
    """Agree again, as new consents with the same words (and how: ``again``), to what was
    withdrawn ``withdrawn_via`` on ``channel`` and has no live consent since; the purposes."""
    now, live = now_utc(), {c.purpose for c in fan.consents if c.withdrawn_at is None}
    purposes = CHANNEL_PURPOSES.get(channel) or SMS_PURPOSES + SMS_ONLY_PURPOSES
    restored = {}
    for consent in sorted(fan.consents, key=lambda c: c.withdrawn_at or now):
        if consent.withdrawn_via == withdrawn_via and consent.purpose in purposes \
                and consent.purpose not in live:
            restored[consent.purpose] = consent.wording
    for purpose, wording in restored.items():
        fan.consents.append(Consent(label_id=fan.label_id, artist_id=fan.artist_id,
                                    purpose=purpose, given_at=now,
                                    wording=f"{wording} ({again})"))
    return sorted(restored)


def lift(fan, channel, address, reason):
    """Take the address off the fan's artist's list when ``reason`` put it there."""
    db.session.execute(delete(Suppression).where(
        Suppression.artist_id == fan.artist_id, Suppression.channel == channel,
        Suppression.reason == reason, Suppression.address_hash == address_hash(channel, address))
        .execution_options(synchronize_session=False))
