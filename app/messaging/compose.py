"""One recipient's message, written out: the template filled in with the fan's fields, the
HTML part in the artist's colours, the unsubscribe headers; an SMS with its opt-out line. The
lines of our own (the opt-out, the footer) speak the language in force
(app.languages.speaking)."""
from flask import render_template
from markupsafe import Markup

from app import languages
from app.colors import hex_or, legible
from app.languages import gettext as _
from app.messaging.reminder import EMAIL, Message
from app.messaging.templates import render, text_to_html


def stop_line():
    # Translators: keep STOP as it is: carriers act on that word whatever the language.
    return _("Reply STOP to opt out.")


def compose(message, channel, to, fields, artwork=None, me_url=None, action=None, words=None):
    """The outgoing Message. ``fields``: the merge fields (unsubscribe_url among them);
    ``action``: (label, url) of the HTML part's button, or None; ``words``: the subject, body
    and SMS to write out (automations.Words), the message's own when not given."""
    words = words or message
    subject = render(words.subject, fields).strip()
    if channel != EMAIL:
        text = render(words.sms_body or words.subject, fields).strip()
        if "STOP" not in text:
            text = f"{text} {stop_line()}"
        return Message(channel, to, subject, text, fields["unsubscribe_url"])
    text = render(words.body, fields)
    footer = "\n--\n" + _("Unsubscribe from %(artist)s's emails: %(url)s",
                          artist=fields["artist_name"], url=fields["unsubscribe_url"]) + "\n"
    return Message(EMAIL, to, subject, text.rstrip() + "\n" + footer, fields["unsubscribe_url"],
                   html=_html(message, subject, text, fields, artwork, me_url, action),
                   one_click=True)


def _html(message, subject, text, fields, artwork, me_url, action):
    artist = message.artist
    band, band_ink = legible(hex_or(getattr(artist, "primary_color", None), "#1d1d1f"))
    button, button_ink = legible(hex_or(getattr(artist, "accent_color", None), "#1db954"))
    label, url = action or (None, None)
    return render_template("email/message.html", subject=subject, body_html=Markup(
        text_to_html(text)), artist_name=fields["artist_name"],
        release_title=fields.get("release_title"), artwork=artwork, band=band,
        band_ink=band_ink, button=button, button_ink=button_ink, action_url=url,
        action_label=label, unsubscribe_url=fields["unsubscribe_url"], me_url=me_url,
        language=languages.current())
