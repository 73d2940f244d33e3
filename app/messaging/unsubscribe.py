"""One-click unsubscribe (RFC 8058): the signed link in every message, and what it does.

The link names the ledger row it came with (signed with SECRET_KEY, so nobody can make one
for another fan); following it, by the mail client's one-click POST or by the fan's button,
withdraws the consents that let messages reach the fan on that channel and puts the address
on the artist's suppression list.
"""
from app.extensions import db
from app.messaging import signed, suppression
from app.messaging.automations import contact
from app.models import MessageRecipient
from app.models.fan import BY_UNSUBSCRIBE_LINK
from app.models.message import UNSUBSCRIBED

SALT = "presave-unsubscribe"


def link(artist, recipient_id):
    """On the instance's host: it must work for as long as the message is kept, whatever
    becomes of the label's domain (RFC 8058's one-click POST included)."""
    return signed.fan_link(artist, "unsubscribe", SALT, recipient_id, on_instance=True)


def recipient_for(token):
    """The ledger row a link was made for, or None (forged, mangled, or gone)."""
    recipient_id = signed.row_id(signed.value_of(SALT, token))
    return db.session.get(MessageRecipient, recipient_id) if recipient_id else None


def unsubscribe(recipient, via=BY_UNSUBSCRIBE_LINK):
    """Withdraw the channel's consents and suppress the address (idempotent); the address,
    or None for an erased fan (nothing left to take back)."""
    fan = recipient.fan
    address = contact(fan, recipient.channel)
    suppression.withdraw_channel(fan, recipient.channel, via)
    if address:
        suppression.suppress(fan, recipient.channel, address, UNSUBSCRIBED)
    return address
