"""Coming Soon's "Tell me when pre-save opens": the tap, then where to send the one message,
kept as an opening notice that app.jobs.opening_notices sends at the opening instant."""
from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from app.analytics.geoip import locate
from app.extensions import db, limiter
from app.languages import gettext as _
from app.models import OpeningNotice
from app.models.fan import PRESAVE_OPENS
from app.presaves import record as presaves
from app.presaves.wrapper import contact
from app.releases.rules import artwork_url
from app.releases.state import SOON, state_for
from app.views.public import page
from app.views.public.blueprint import fan_bp
from app.views.public.custom_hosts import here
from app.views.public.presave import fan_form, signup_limits
from app.views.public.visitor.fan_cookie import fan_from_cookie, remember_fan

CONSENT_FIELD = f"consent_{PRESAVE_OPENS}"


def wording(release):
    return _("Tell me once when pre-save opens for “%(title)s”.", title=release.title)


@fan_bp.post("/<artist_slug>/<release_slug>/notify")
@limiter.limit(signup_limits, methods=["POST"])
def notify(artist_slug, release_slug):
    artist, release, back, bot = fan_form(artist_slug, release_slug)
    if bot:
        return redirect(back)
    if state_for(release).page != SOON:
        flash(_("The pre-save is open: pre-save it right here."), "fan-info")
        return redirect(back)
    if request.form.get("step") != "details":
        return _step(artist, release, {}, {})
    place = locate(request.remote_addr)
    phone = any(f.name == "phone" for f in page.notify_fields(artist))
    given = contact(request.form, place.country, phone=phone)
    errors = dict(given.errors)
    if request.form.get(CONSENT_FIELD) != "1":
        errors[CONSENT_FIELD] = _("Tick the box so we may send you this one message")
    if errors:
        return _step(artist, release, request.form.to_dict(), errors, 422)
    cookie_fan = fan_from_cookie(artist)
    fan = presaves.upsert_fan(artist, given, place, fan_id=cookie_fan.id if cookie_fan else None)
    presaves.add_consents(fan, {PRESAVE_OPENS: wording(release)},
                          presaves.ip_hash(request.remote_addr))
    exists = db.session.scalar(select(OpeningNotice.id).where(
        OpeningNotice.release_id == release.id, OpeningNotice.fan_id == fan.id))
    if exists is None:
        db.session.add(OpeningNotice(release_id=release.id, fan_id=fan.id,
                                     label_id=release.label_id, artist_id=release.artist_id))
    db.session.commit()
    flash(_("You're on the list: we'll email you once when the pre-save opens.")
          if given.values.get("email")
          else _("You're on the list: we'll text you once when the pre-save opens."), "fan-success")
    return remember_fan(redirect(back), artist, fan)


def _step(artist, release, values, errors, status=200):
    return render_template(
        "fan/notify.html", artist=artist, release=release, values=values, errors=errors,
        fields=page.notify_fields(artist), consent=(CONSENT_FIELD, wording(release)),
        opens=page.countdown(release, SOON, release.timezone).when,
        artwork=artwork_url(release), theme=page.theme(artist), action=here(),
        page_url=url_for("fan.release", artist_slug=artist.slug, release_slug=release.slug)
    ), status
