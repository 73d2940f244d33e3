"""/s/<artist>/me: "Download my data" and "Delete everything", each confirmed by a link sent to
the fan's email (signed, for this fan and this request, valid a day), or, for a fan who left no
email, by the signed fan cookie of the browser asking."""
import json

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.domains.urls import fan_url

from app.extensions import db, limiter
from app.languages import gettext as _, ngettext
from app.messaging import MessagingError, NotConfigured
from app.messaging.outbox import Outbox
from app.messaging.reminder import EMAIL, Message, fan_me_url
from app.models import Fan
from app.presaves import fan_data
from app.views.public import page
from app.views.public.blueprint import fan_bp
from app.views.public.custom_hosts import here
from app.views.public.fan_me import own_fan
from app.views.public.lookup import public_artist
from app.views.public.visitor.fan_cookie import forget_fan

LINK_HOURS = 24
EXPORT, ERASE = "export", "erase"


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
        flash(_("Tick the box to say you understand that this cannot be undone."), "fan-error")
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
        return _message(artist, _("This link has expired"),
                        ngettext("Links work for %(hours)s hour. Ask again from your details "
                                 "page.", "Links work for %(hours)s hours. Ask again from your "
                                 "details page.", LINK_HOURS, hours=LINK_HOURS), 410)
    except BadSignature:
        abort(404)
    fan = db.session.get(Fan, data.get("fan"))
    if data.get("artist") != artist.id or data.get("do") not in (EXPORT, ERASE) or fan is None \
            or fan.artist_id != artist.id:
        abort(404)
    if fan.erased_at is not None:
        return _message(artist, _("Already erased"), _("Nothing is held about you any more."),
                        410)
    if data["do"] == EXPORT:
        return _download(fan)
    if request.method == "POST":
        return _erased(artist, fan)
    return render_template("fan/erase_confirm.html", artist=artist, theme=page.theme(artist),
                           action=here())


def _send_link(artist, fan, do):
    token = _signer().dumps({"artist": artist.id, "fan": fan.id, "do": do})
    link = fan_url(artist, f"/me/confirm/{token}")
    message = Message(EMAIL, fan.email, _("%(artist)s: confirm your request", artist=artist.name),
                      _email_text(artist, fan, do, link), fan_me_url(artist))
    try:
        with Outbox(current_app.config) as outbox:
            outbox.send(message)
    except NotConfigured:
        flash(_("Email can't be sent from this site yet, so we can't confirm it's you. "
                "Write to the contact in the privacy notice instead."), "fan-error")
    except MessagingError:
        flash(_("We couldn't send the email just now. Please try again in a few minutes."),
              "fan-error")
    else:
        masked = _masked(fan.email)
        flash(_("We sent a link to %(email)s: open it to download everything held about you.",
                email=masked) if do == EXPORT
              else _("We sent a link to %(email)s: open it to delete everything held about you.",
                     email=masked), "fan-info")
    return redirect(url_for("fan.me", artist_slug=artist.slug))


def _email_text(artist, fan, do, link):
    """The confirmation email's text: each paragraph one message to translate."""
    greeting = _("Hi %(name)s,", name=fan.name) if fan.name else _("Hi,")
    if do == EXPORT:
        asked = ngettext("You asked on %(artist)s's page to download everything held about you. "
                         "Open this link within %(hours)s hour to do it:",
                         "You asked on %(artist)s's page to download everything held about you. "
                         "Open this link within %(hours)s hours to do it:",
                         LINK_HOURS, artist=artist.name, hours=LINK_HOURS)
    else:
        asked = ngettext("You asked on %(artist)s's page to delete everything held about you. "
                         "Open this link within %(hours)s hour to do it:",
                         "You asked on %(artist)s's page to delete everything held about you. "
                         "Open this link within %(hours)s hours to do it:",
                         LINK_HOURS, artist=artist.name, hours=LINK_HOURS)
    ignore = _("If it wasn't you, ignore this email: nothing happens.")
    details = _("Your details: %(link)s", link=fan_me_url(artist))
    return f"{greeting}\n\n{asked}\n{link}\n\n{ignore}\n\n{details}\n"


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
    lines = [_("Your details, consents and platform connections are deleted, and your pending "
               "pre-saves are cancelled.")]
    if revoked:
        lines.append(_("%(platforms)s access is ended at the platform.",
                       platforms=", ".join(revoked)))
    if yours:
        lines.append(_("%(platforms)s keeps no more tokens of ours; to remove the app there too, "
                       "open its settings (connected apps).", platforms=", ".join(yours)))
    return forget_fan(_message(artist, _("Everything is erased"), " ".join(lines), 200), artist)


def _message(artist, title, message, status):
    response = current_app.make_response((render_template(
        "fan/message.html", title=title, message=message, artist=artist,
        theme=page.theme(artist)), status))
    return response


def _masked(email):
    user, _at, domain = email.partition("@")
    return f"{user[:1]}{'•' * max(1, min(len(user) - 1, 6))}@{domain}"
