"""The success step's "Follow <artist> on <platform>": one tap per platform, each the fan's own
choice, made with the grant they gave for the pre-save (never done for them at the sign-in)."""
import logging

from flask import abort, current_app, flash, redirect, request
from redis.exceptions import RedisError
from sqlalchemy import select

from app.crypto import DecryptError
from app.extensions import db, limiter
from app.jobs.token_refresh import TokenKeeper
from app.languages import gettext as _
from app.models import Authorization
from app.models.authorization import ACTIVE
from app.models.fan import follow_purpose
from app.platform_table import PLATFORM_NAMES
from app.platforms.errors import GrantRevoked, PlatformError
from app.platforms.registry import platform_for
from app.presaves import record as presaves
from app.views.public import page
from app.views.public.blueprint import fan_bp
from app.views.public.known_fan import known_fan
from app.views.public.presave import fan_form, signup_limits
from app.views.public.visitor.fan_cookie import fan_from_cookie

log = logging.getLogger(__name__)


@fan_bp.post("/<artist_slug>/<release_slug>/follow")
@limiter.limit(signup_limits, methods=["POST"])
def follow(artist_slug, release_slug):
    artist, release, back, bot = fan_form(artist_slug, release_slug)
    if bot:
        return redirect(back)
    known = known_fan(artist, release)
    if known is None:
        abort(403, _("This browser has not pre-saved anything by this artist yet."))
    platform = request.form.get("platform", "")
    if platform not in page.follow_offer(artist, known):
        abort(400, _("Following is offered on the platforms shown on the page, once each."))
    fan, name = fan_from_cookie(artist), PLATFORM_NAMES[platform]
    grant = db.session.scalars(select(Authorization).where(
        Authorization.fan_id == fan.id, Authorization.platform == platform,
        Authorization.state == ACTIVE)).one()
    try:
        keeper = TokenKeeper(current_app._get_current_object(), artist.label_id, platform)
        token = keeper.token_now(grant.id)
        with platform_for(artist.label_id, platform) as client:
            client.follow_artist(token, artist.platform_ids[platform])
    except GrantRevoked:
        flash(_("Your %(platform)s permission has ended, so we couldn't follow %(artist)s for "
                "you. Pre-save again on %(platform)s to reconnect.", platform=name,
                artist=artist.name), "fan-error")
        return redirect(back)
    except (PlatformError, DecryptError, RedisError) as exc:  # the grant or the refresh lock
        log.warning("following the artist on %s failed: %s", platform, type(exc).__name__)
        flash(_("%(platform)s didn't let us follow %(artist)s just now. Please try again.",
                platform=name, artist=artist.name), "fan-error")
        return redirect(back)
    fan = fan_from_cookie(artist)  # the token keeper may have begun a new transaction
    presaves.add_consents(fan, {follow_purpose(platform): page.follow_wording(artist, platform)},
                          presaves.ip_hash(request.remote_addr))
    db.session.commit()
    flash(_("You now follow %(artist)s on %(platform)s.", artist=artist.name, platform=name),
          "fan-success")
    return redirect(back)
