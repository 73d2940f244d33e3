"""The unsubscribe link in every message to a fan (app.messaging.unsubscribe).

GET shows what the link will do, with one button; POST does it: the button's form, or the
mail client's one-click POST (RFC 8058: ``List-Unsubscribe=One-Click`` and no cookie, so the
signed link is the only credential and the visitor's CSRF token is not asked for). Opening
the link alone changes nothing: link scanners open every link in a message.
"""
from flask import abort, render_template, request

from app.extensions import db
from app.messaging import unsubscribe as links
from app.models.message import EMAIL
from app.views.public.blueprint import fan_bp
from app.views.public.custom_hosts import here
from app.views.public.lookup import public_artist

def one_click():
    """A mail client's RFC 8058 POST: the body names it; no visitor token comes with it."""
    return request.method == "POST" and request.form.get("List-Unsubscribe") == "One-Click"


@fan_bp.route("/<artist_slug>/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(artist_slug, token):
    artist = public_artist(artist_slug)
    recipient = links.recipient_for(token)
    if recipient is None or recipient.artist_id != artist.id:
        abort(404)
    by_email = recipient.channel == EMAIL
    if request.method == "GET":
        return render_template("fan/unsubscribe.html", artist=artist, by_email=by_email,
                               action=here(), done=False)
    links.unsubscribe(recipient)
    db.session.commit()
    if one_click():
        return "", 204
    return render_template("fan/unsubscribe.html", artist=artist, by_email=by_email, done=True)
