"""The message a fan asked for on a Coming Soon page: the pre-save is open, with the link."""
from app.messaging import Refused, Withdrawn
from app.messaging.reminder import EMAIL, SMS, Message, fan_me_url, withdrawn
from app.models.fan import PRESAVE_OPENS


def opening_notice_for(notice, link):
    """The message for ``notice``, pointing at ``link`` (the fan page); Refused without a
    contact, Withdrawn when the fan took the ask back."""
    fan, release = notice.fan, notice.release
    if withdrawn(fan, PRESAVE_OPENS):
        raise Withdrawn("not sent: the fan withdrew the ask")
    stop = fan_me_url(release.artist)
    subject = f"Pre-save “{release.title}” by {release.artist.name} now"
    if fan.email:
        greeting = f"Hi {fan.name}," if fan.name else "Hi,"
        text = (f"{greeting}\n\nThe pre-save for “{release.title}” is open. One tap and it's in "
                f"your library the moment it's out:\n{link}\n\nYou asked for this one message. "
                f"To see what you shared, or take it back, go to {stop}\n")
        return Message(EMAIL, fan.email, subject, text, stop)
    if fan.phone:
        return Message(SMS, fan.phone, subject, f"{subject}: {link} Stop messages: {stop}", stop)
    raise Refused("not sent: the fan left no email or phone")
