"""Tracked links in emails: the fan page and Stream Now links of a message go through
/s/<artist>/m/<token>, which counts the click on the recipient's ledger row and sends the fan
on. The token (signed with SECRET_KEY) names the row and which of its links, never a URL: the
destination is worked out again from the row, so the redirect can only lead to the message's
own links (and a Stream Now link then passes through /go/ and its rules). No open-tracking
pixel: opening an email is not counted."""
from app.messaging import signed

PAGE, STREAM = "page", "stream"
SALT = "presave-message-link"


def link(artist, recipient_id, target):
    return signed.fan_link(artist, "m", SALT, [recipient_id, target])


def read(token):
    """(recipient id, target) of a link, or None (forged, mangled)."""
    found = signed.value_of(SALT, token)
    if not (isinstance(found, list) and len(found) == 2 and signed.row_id(found[0])
            and found[1] in (PAGE, STREAM)):
        return None
    return found[0], found[1]
