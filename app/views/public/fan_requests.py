"""/s/<artist>/me: "Download my data" and "Delete everything", each confirmed by a link sent to
the fan's email (signed, for this fan and this request, valid a day), or, for a fan who left no
email, by the signed fan cookie of the browser asking."""
import json

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.extensions import db, limiter
from app.messaging import MessagingError, NotConfigured
from app.messaging.outbox import Outbox
from app.messaging.reminder import EMAIL, Message, fan_me_url
from app.models import Fan
from app.presaves import fan_data
from app.views.public import page
from app.views.public.blueprint import fan_bp
from app.views.public.fan_me import own_fan
from app.views.public.lookup import public_artist
from app.views.public.visitor.fan_cookie import forget_fan

LINK_HOURS = 24
EXPORT, ERASE = "export", "erase"
WHAT = {EXPORT: "download everything held about you", ERASE: "delete everything held about you"}


def _signer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="presave-fan-request")


def _limits():
    return current_app.config["FAN_REQUEST_LIMITS"]


@fan_bp.post("/<artist_slug>/me/export")
@limiter.limit(_limits)
def ask_export(artist_slug):
    artist, fan = own_fan(artist_slug)
    if not fan.email:  # the browser's signed cookie is all there is to confirm with
        return _download(fan)
    return _send_link(artist, fan, EXPORT)


@fan_bp.post("/<artist_slug>/me/erase")
@limiter.limit(_limits)
def ask_erase(artist_slug):
    artist, fan = own_fan(artist_slug)
    if request.form.get("understood") != "1":
        flash("Tick the box to say you understand that this cannot be undone.", "fan-error")
        return redirect(url_for("fan.me", artist_slug=artist.slug))
    if not fan.email:
        return _erased(artist, fan)
    return _send_link(artist, fan, ERASE)


@fan_bp.route("/<artist_slug>/me/confirm/<token>", methods=["GET", "POST"])
def confirm(artist_slug, token):
    """The emailed link: the download itself; for erasure a page whose button erases (a GET
    never does, since mail scanners open links)."""
    artist = public_artist(artist_slug)
    try:
        data = _signer().loads(token, max_age=LINK_HOURS * 3600)
    except SignatureExpired:
        return _message(artist, "This link has expired",
                        f"Links work for {LINK_HOURS} hours. Ask again from your details page.",
                        410)
    except BadSignature:
        abort(404)
    fan = db.session.get(Fan, data.get("fan"))
    if data.get("artist") != artist.id or data.get("do") not in WHAT or fan is None \
            or fan.artist_id != artist.id:
        abort(404)
    if fan.erased_at is not None:
        return _message(artist, "Already erased", "Nothing is held about you any more.", 410)
    if data["do"] == EXPORT:
        return _download(fan)
    if request.method == "POST":
        return _erased(artist, fan)
    return render_template("fan/erase_confirm.html", artist=artist, theme=page.theme(artist),
                           action=request.path)


def _send_link(artist, fan, do):
    token = _signer().dumps({"artist": artist.id, "fan": fan.id, "do": do})
    link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(
        "fan.confirm", artist_slug=artist.slug, token=token)
    greeting = f"Hi {fan.name}," if fan.name else "Hi,"
    text = (f"{greeting}\n\nYou asked on {artist.name}'s page to {WHAT[do]}. Open this link "
            f"within {LINK_HOURS} hours to do it:\n{link}\n\nIf it wasn't you, ignore this "
            f"email: nothing happens.\n\nYour details: {fan_me_url(artist)}\n")
    message = Message(EMAIL, fan.email, f"{artist.name}: confirm your request", text,
                      fan_me_url(artist))
    try:
        with Outbox(current_app.config) as outbox:
            outbox.send(message)
    except NotConfigured:
        flash("Email can't be sent from this site yet, so we can't confirm it's you. "
              "Write to the contact in the privacy notice instead.", "fan-error")
    except MessagingError:
        flash("We couldn't send the email just now. Please try again in a few minutes.",
              "fan-error")
    else:
        flash(f"We sent a link to {_masked(fan.email)}: open it to {WHAT[do]}.", "fan-info")
    return redirect(url_for("fan.me", artist_slug=artist.slug))


def _download(fan):
    body = json.dumps(fan_data.export(fan), indent=2, ensure_ascii=False)
    response = current_app.response_class(body, mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{fan.artist.slug}-my-data.json"')
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _erased(artist, fan):
    revoked, yours = fan_data.erase(fan)
    db.session.commit()
    lines = ["Your details, consents and platform connections are deleted, and your pending "
             "pre-saves are cancelled."]
    if revoked:
        lines.append(f"{', '.join(revoked)} access is ended at the platform.")
    if yours:
        lines.append(f"{', '.join(yours)} keeps no more tokens of ours; to remove the app "
                     "there too, open its settings (connected apps).")
    return forget_fan(_message(artist, "Everything is erased", " ".join(lines), 200), artist)


def _message(artist, title, message, status):
    response = current_app.make_response((render_template(
        "fan/message.html", title=title, message=message, artist=artist,
        theme=page.theme(artist)), status))
    return response


def _masked(email):
    user, _, domain = email.partition("@")
    return f"{user[:1]}{'•' * max(1, min(len(user) - 1, 6))}@{domain}"
