"""/s/<artist>/me: what the fan shared with this artist; withdraw consents, disconnect."""
from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select, update

from app.extensions import db
from app.languages import gettext as _
from app.localtime import now_utc
from app.messaging import suppression
from app.models.fan import FOLLOW_PREFIX, FUTURE_SAVE_PREFIX, ON_FAN_PAGE
from app.models import Authorization, Consent, PreSave, Release
from app.models.authorization import ACTIVE, REVOKED
from app.models.presave import CANCELLED, FUTURE_SAVE, PENDING
from app.platform_table import PLATFORM_NAMES
from app.views.public import page
from app.views.public.blueprint import fan_bp
from app.views.public.visitor.fan_cookie import fan_from_cookie
from app.views.public.lookup import public_artist


@fan_bp.get("/<artist_slug>/me")
def me(artist_slug):
    artist = public_artist(artist_slug)
    fan = fan_from_cookie(artist)
    grants = presaved = []
    if fan is not None:
        grants = db.session.scalars(select(Authorization).where(
            Authorization.fan_id == fan.id, Authorization.state == ACTIVE)).all()
        presaved = db.session.execute(
            select(PreSave, Release).join(Release, PreSave.release_id == Release.id)
            .where(PreSave.fan_id == fan.id).order_by(Release.release_at)).all()
    live = [c for c in fan.consents if c.withdrawn_at is None] if fan is not None else []
    return render_template("fan/me.html", artist=artist, fan=fan, grants=grants,
                           presaved=presaved, platform_names=PLATFORM_NAMES,
                           agreed=[c for c in live if not c.purpose.startswith(FOLLOW_PREFIX)],
                           followed=[c for c in live if c.purpose.startswith(FOLLOW_PREFIX)],
                           theme=page.theme(artist), state_words=state_words)


def state_words(presave):
    """A pre-save's state as its fan reads it on their own page."""
    return {"pending": _("waiting for release day"), "retrying": _("retrying"),
            "in_progress": _("saving now"), "delivered": _("saved"), "failed": _("failed"),
            "cancelled": _("cancelled")}.get(presave.display_state, presave.display_state)


def own_fan(artist_slug):
    artist = public_artist(artist_slug)
    fan = fan_from_cookie(artist)
    if fan is None:
        abort(403, _("This browser is not signed up with this artist."))
    return artist, fan


@fan_bp.post("/<artist_slug>/me/consents/<int:consent_id>/withdraw")
def withdraw_consent(artist_slug, consent_id):
    artist, fan = own_fan(artist_slug)
    consent = db.session.scalars(select(Consent).where(
        Consent.id == consent_id, Consent.fan_id == fan.id)).first() or abort(404)
    if consent.withdrawn_at is None:
        consent.withdrawn_at, consent.withdrawn_via = now_utc(), ON_FAN_PAGE
        if consent.purpose.startswith(FUTURE_SAVE_PREFIX):
            _cancel_future_saves(fan, consent.purpose.removeprefix(FUTURE_SAVE_PREFIX))
        if consent.purpose in suppression.MARKETING_CHANNELS:
            suppression.announce(fan, suppression.MARKETING_CHANNELS[consent.purpose],
                                 ON_FAN_PAGE, [consent.purpose])
        db.session.commit()
    if consent.purpose.startswith(FUTURE_SAVE_PREFIX):
        flash(_("Done: the next releases won't be saved for you any more, and those waiting to "
                "be are cancelled."), "fan-success")
    else:
        flash(_("Done: you won't get these messages any more."), "fan-success")
    return redirect(url_for("fan.me", artist_slug=artist.slug))


def _cancel_future_saves(fan, platform):
    """The pending pre-saves Future Save added on ``platform``: the fan no longer wants them."""
    db.session.execute(update(PreSave).where(
        PreSave.fan_id == fan.id, PreSave.platform == platform, PreSave.origin == FUTURE_SAVE,
        PreSave.state == PENDING).values(state=CANCELLED, last_error="fan_withdrew_future_save"))


@fan_bp.post("/<artist_slug>/me/platforms/<platform>/disconnect")
def disconnect(artist_slug, platform):
    artist, fan = own_fan(artist_slug)
    grant = db.session.scalars(select(Authorization).where(
        Authorization.fan_id == fan.id, Authorization.platform == platform)).first() or abort(404)
    grant.state, grant.revoked_at = REVOKED, now_utc()
    grant.access_token_sealed = grant.refresh_token_sealed = None
    db.session.execute(update(PreSave).where(
        PreSave.authorization_id == grant.id, PreSave.state == PENDING).values(
        state=CANCELLED, last_error="fan_disconnected"))
    db.session.commit()
    flash(_("%(platform)s is disconnected; its pending pre-saves are cancelled.",
            platform=PLATFORM_NAMES.get(platform, platform)), "fan-success")
    return redirect(url_for("fan.me", artist_slug=artist.slug))
