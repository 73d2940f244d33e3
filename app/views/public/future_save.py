"""The success step's "save this artist's future releases too": its own unticked box per
platform the fan saved on; the consent is kept, the artist's releases already open get the
pre-save at once, later ones at their opening (app.jobs.future_saves)."""
from flask import abort, flash, redirect, request

from app.extensions import db, limiter
from app.jobs import future_saves
from app.languages import gettext as _
from app.presaves import future_save, record as presaves
from app.releases.state import state_for
from app.views.public.blueprint import fan_bp
from app.views.public.presave import fan_form, signup_limits
from app.views.public.visitor.fan_cookie import fan_from_cookie

FIELD = "future_save"  # one box per offered platform: future_save=<platform key>


@fan_bp.post("/<artist_slug>/<release_slug>/future-save")
@limiter.limit(signup_limits, methods=["POST"])
def future_save_ask(artist_slug, release_slug):
    artist, release, back, bot = fan_form(artist_slug, release_slug)
    if bot:
        return redirect(back)
    fan = fan_from_cookie(artist)
    if fan is None:
        abort(403, _("This browser has not pre-saved anything by this artist yet."))
    offered = future_save.offer(fan, release)
    if not offered:
        abort(400, _("Future Save is offered to a fan who pre-saved this release on a platform "
                     "they connected and has not asked for it there yet."))
    chosen = request.form.getlist(FIELD)
    unknown = [key for key in chosen if key not in offered]
    if unknown:
        abort(400, _("Choose among the platforms offered on the page."))
    if not chosen:
        flash(_("Tick the box first if you'd like the next releases saved too; nothing was "
                "changed."), "fan-info")
        return redirect(back)
    future_save.opt_in(fan, artist, chosen, presaves.ip_hash(request.remote_addr))
    db.session.flush()
    for other in future_save.open_releases(artist.id, release.id):
        if state_for(other).accepts_presaves:
            future_saves.add(other, fan_ids=[fan.id])
    db.session.commit()
    flash(_("Done: %(artist)s's next releases will be saved to your library too. You can stop "
            "this any time on your page.", artist=artist.name), "fan-success")
    return redirect(back)
