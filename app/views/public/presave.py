"""What a fan does on a fan page: pre-save (OAuth round trip or one click), reminders.

A platform's tap on the page posts here; when the artist asks for details the
answer is the details step (fan/details.html), which posts here again with them.
Nothing is stored until the fan's choice is complete: a direct platform stores
fan, consents, grant and pre-save together at the callback.
"""
import logging
import math
from dataclasses import replace
import time

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from redis.exceptions import LockError, RedisError
from sqlalchemy import select

from app.presaves import record as presaves, oauth_state
from app.analytics import capture, page_views
from app.analytics.geoip import Place, locate
from app.extensions import db, limiter
from app import languages
from app.languages import gettext as _
from app.localtime import now_utc
from app.models import Artist, Release
from app.releases.state import state_for
from app.platforms.base import PlatformError, TokenSet
from app.platform_table import APPLE_MUSIC, PLATFORM_NAMES
from app.platforms import app_users, registry
from app.platforms.registry import fan_mode, platform_for
from app.tenants.context import Scope, set_request_scope
from app.views.public import across_hosts, ads, language
from app.views.public.custom_hosts import custom_domain, instance_url
from app.views.public.blueprint import fan_bp
from app.views.public.visitor.fan_cookie import fan_from_cookie, remember_fan
from app.views.public.fan_pages import render_details_step
from app.views.public.page import asks_details, full_note
from app.views.public.speed import page_version
from app.views.public.known_fan import known_fan, with_known_details
from app.analytics.inapp import in_app_browser
from app.views.public.lookup import public_artist, public_release
from app.views.public.setup import setup_for
from app.models.fan import RELEASE_REMINDER
from app.jobs import messages as message_jobs, pre_add as pre_adds, reconsent
from app.messaging import automations
from app.models.message import THANK_YOU

from app.presaves.wrapper import WRAPPER_KEYS, WrapperInput, read as read_wrapper

log = logging.getLogger(__name__)


page_views.register(fan_bp)


def signup_limits():
    return current_app.config["PUBLIC_SIGNUP_LIMITS"]


@fan_bp.errorhandler(429)
def too_many(exc):
    back = request.path.rsplit("/presave", 1)[0] if request.path.endswith("/presave") else None
    breached = limiter.current_limit
    wait = max(1, math.ceil(breached.reset_at - time.time())) if breached else 60
    page = render_template("fan/rate_limited.html", back_url=back, retry_after=wait)
    return page, 429, {"Retry-After": str(wait)}


SIGN_IN_STEPS = {"fan.presave", "fan.callback", "fan.signed_in_on_domain"}


@fan_bp.errorhandler(RedisError)
def redis_unavailable(exc):
    """Redis out of reach (while Sentinel promotes a replica, a few seconds): a page that says
    so, never a 500. A sign-in begun on the old master may have lost its state: the fan starts
    it again."""
    log.warning("fan page %s: Redis unavailable (%s)", request.endpoint, type(exc).__name__)
    back = request.path.rsplit("/presave", 1)[0] if request.path.endswith("/presave") else None
    message = (_("We couldn't reach our sign-in service for a moment. Please go back to the "
                 "page and try again.") if request.endpoint in SIGN_IN_STEPS
               else _("This page is busy for a moment. Please try again in a few seconds."))
    page = render_template("fan/message.html", title=_("Please try again"), message=message,
                           back_url=back)
    return page, 503, {"Retry-After": "5"}


def fan_form(artist_slug, release_slug):
    """What every fan form's POST starts with: (artist, release, the page's URL, bot), bot
    when the honeypot is filled (the caller drops the form quietly). The answer speaks the
    language the form was shown in, which its consents' words are in."""
    artist, release = public_release(artist_slug, release_slug)
    language.adopt(artist, request.form.get(language.SHOWN_IN))
    page = url_for("fan.release", artist_slug=artist.slug, release_slug=release.slug)
    return artist, release, page, bool(request.form.get("website"))


@fan_bp.post("/<artist_slug>/<release_slug>/presave")
@limiter.limit(signup_limits, methods=["POST"])
def presave(artist_slug, release_slug):
    artist, release, page, bot = fan_form(artist_slug, release_slug)
    if bot:
        return redirect(page)
    if not state_for(release).accepts_presaves:
        flash(_("Pre-saves for this release are closed."), "fan-info")
        return redirect(page)
    platform = request.form.get("platform", "")
    if platform not in (release.platforms or []):
        abort(400, _("Choose one of the platforms shown on the page."))
    if request.form.get("step") != "details":  # the tap on the page, counted once
        capture.record("platform_click", release, platform)
    setup, in_app = setup_for(release), _in_app()
    mode = fan_mode(setup.mode(platform), in_app)
    if mode == "link":
        abort(400, _("%(platform)s only has listening links for this release.",
                     platform=PLATFORM_NAMES[platform]))
    grant = (presaves.usable_grant(fan_from_cookie(artist), platform, release)
             if _may_reuse_grant(mode, setup, platform, in_app) else None)
    if grant is not None:
        mode = "direct"  # a fan already connected keeps saving, whatever the app's user limit
    place = locate(request.remote_addr)
    if grant is not None and not _details_sent(request.form):  # one tap: nothing asked again
        return _record_now(artist, release, platform, WrapperInput(), place, page, grant=grant)
    known = known_fan(artist, release)
    if not _details_sent(request.form) and asks_details(artist, setup, in_app, platform, known):
        token = request.form.get("music_user_token")
        return render_details_step(artist, release, platform, known=known,
                                   values={"music_user_token": token})
    wrapper = read_wrapper(artist, with_known_details(known, request.form), place.country)
    errors = dict(wrapper.errors) or _journey_errors(mode, platform, release, wrapper)
    if errors:
        return render_details_step(artist, release, platform, values=request.form.to_dict(),
                                   errors=errors, status=422, known=known)
    if mode == "remind" or platform == "apple_music":
        return _record_now(artist, release, platform, wrapper, place, page, mode=mode)
    if grant is not None:
        return _record_now(artist, release, platform, wrapper, place, page, grant=grant)
    return _send_to_platform(artist, release, platform, wrapper, place)


def _may_reuse_grant(mode, setup, platform, in_app):
    """A grant on file saves in one tap (Apple's is posted each time): on a direct platform,
    and on one whose app reached its user limit, for the fans it already connected."""
    if platform == APPLE_MUSIC:
        return False
    return mode == "direct" or (platform in setup.full and not in_app)


def _details_sent(form):
    """The details step was answered, or the fields came with the tap (a form of the page's own,
    an API-like client): either way they are read now."""
    return form.get("step") == "details" or any(name in form for name in WRAPPER_KEYS)


def _in_app():
    """An in-app browser cannot finish a sign-in, so its fans get reminders."""
    return request.form.get("intent") == "remind" or in_app_browser(request.user_agent.string)


def _journey_errors(mode, platform, release, wrapper):
    name = PLATFORM_NAMES[platform]
    if mode == "remind" and not wrapper.has_contact:
        return {"_form": _("To get a reminder, leave your email (or phone) so we can send you "
                           "the link on release day.")}
    if mode == "direct" and not presaves.grant_outlives(platform, now_utc(), release) \
            and not wrapper.contactable:
        return {"_form": _("%(platform)s permissions expire after six months, before this "
                           "release is out. Leave your email or phone (and tick the box) so we "
                           "can ask you to reconnect, or choose another platform.",
                           platform=name)}
    if platform == "apple_music" and mode == "direct" and not request.form.get("music_user_token"):
        return {"_form": _("%(platform)s didn't sign you in. Please try again.", platform=name)}
    return {}


def _record_now(artist, release, platform, wrapper, place, page, grant=None, mode="direct"):
    """Remind mode, Apple's posted token, or a grant already on file: no redirect."""
    apple_signs_in = grant is None and platform == APPLE_MUSIC and mode == "direct"
    storefront = _apple_storefront(artist) if apple_signs_in else None
    if apple_signs_in and storefront is None:
        flash(_("%(platform)s didn't sign you in. Please try again.",
                platform=PLATFORM_NAMES[APPLE_MUSIC]), "fan-error")
        return redirect(page)
    cookie_fan = fan_from_cookie(artist)
    fan = presaves.upsert_fan(artist, wrapper, place, fan_id=cookie_fan.id if cookie_fan else None)
    consents = dict(wrapper.consents)
    if mode == "remind":  # the fan asked for this one message by pressing the button
        consents[RELEASE_REMINDER] = _("Send me a reminder with the link when “%(title)s” is "
                                       "out on %(platform)s.", title=release.title,
                                       platform=PLATFORM_NAMES[platform])
    presaves.add_consents(fan, consents, presaves.ip_hash(request.remote_addr))
    if apple_signs_in:
        capture.record("authorization_started", release, platform)  # MusicKit signed them in
        grant = _apple_grant(fan, storefront)
    presave, created = _record(release, fan, platform, grant)
    db.session.commit()
    _count(artist, release, presave, grant, created)
    if pre_adds.wanted(release, platform, grant):  # new, or a reminder that became a save
        pre_adds.enqueue(release, presave.id)
    return remember_fan(redirect(page), artist, fan)


def _thank(release, fan, platform):
    """The thank-you automation: the fan's row on the release's message, its batch at its time
    (the minute reconciler is the safety net)."""
    row = automations.queue(THANK_YOU, release, fan, platform)
    if row is not None:
        db.session.flush()
        message_jobs.put_at(release.label_id, row.message_id, row.next_attempt_at)


def _count(artist, release, presave, grant, created):
    """A new pre-save counts once: completed with a grant (and then, for a visitor who
    accepted ad cookies, a Lead for the pixels and the conversion APIs), else a reminder
    sign-up."""
    if created:
        capture.record("presave_completed" if grant else "reminder_signup", release,
                       presave.platform)
        if grant:
            ads.converted(artist, release, presave)


def _apple_storefront(artist):
    """The fan's Apple Music storefront (GET /me/storefront), which also proves the posted
    Music-User-Token works; None when Apple refused it."""
    token = request.form.get("music_user_token", "")
    if not token or len(token) > 4096 or not (token.isascii() and token.isprintable()):
        return None
    try:
        with platform_for(artist.label_id, APPLE_MUSIC) as client:
            found = client.user_storefront(token)
        return found if isinstance(found, str) and found.isalpha() and len(found) <= 8 else None
    except PlatformError as exc:
        log.info("Apple Music refused a Music-User-Token (%s)", type(exc).__name__)
        return None


def _apple_grant(fan, storefront):
    token = request.form["music_user_token"]
    account = "mut-" + presaves.ip_hash(token)[:32]
    grant = presaves.store_grant(fan, APPLE_MUSIC, TokenSet(token, None, None, "", account),
                                 account)
    grant.storefront = storefront  # its catalogue ids are the ones saved for this fan
    return grant


def _record(release, fan, platform, grant):
    """The fan's pre-save, flashed: (the row, whether it is new)."""
    presave, created = presaves.record_presave(release, fan, platform, grant)
    if created:
        _thank(release, fan, platform)
    flash(_outcome_message(release, platform, presave, created, grant), "fan-success")
    if grant is not None and not presaves.grant_outlives(platform, grant.granted_at, release):
        flash(_("Heads-up: %(platform)s permissions expire before this release is out. We'll "
                "send you a link to reconnect.", platform=PLATFORM_NAMES[platform]), "fan-info")
        reconsent.ask(release, fan, platform)
    return presave, created


def _outcome_message(release, platform, presave, created, grant):
    name = PLATFORM_NAMES[platform]
    if not created:
        return _("You've already pre-saved “%(title)s” on %(platform)s. We'll take care of it.",
                 title=release.title, platform=name)
    if grant is None:
        return _("You're on the list! On release day we'll send you a reminder with the link to "
                 "“%(title)s” on %(platform)s.", title=release.title, platform=name)
    return _("Pre-Save Successful! “%(title)s” will be added to your %(platform)s library when "
             "it comes out.", title=release.title, platform=name)


def _send_to_platform(artist, release, platform, wrapper, place):
    client = platform_for(artist.label_id, platform)
    cookie_fan = fan_from_cookie(artist)
    domain = custom_domain()
    # Following needs its scope asked now (Spotify's); the fan chooses on the success step.
    scopes = client.scopes(follow=artist.offer_follow
                           and bool((artist.platform_ids or {}).get(platform)))
    state, verifier, challenge = oauth_state.issue(platform, {
        "release_id": release.id, "scopes": scopes,
        "values": wrapper.values, "consents": wrapper.consents,
        "fan_id": cookie_fan.id if cookie_fan else None,
        "ip_hash": presaves.ip_hash(request.remote_addr), "place": place.__dict__,
        "language": languages.current().code,  # the consents' words are in it
    })
    if domain is not None:
        across_hosts.note(state, domain.hostname, artist.slug)
    capture.record("authorization_started", release, platform)
    return redirect(client.authorization_url(callback_url(platform), state, challenge, scopes))


def callback_url(platform):
    return instance_url("fan.callback", platform=platform)


@fan_bp.get("/_auth/<platform>/callback")
def callback(platform):
    elsewhere = across_hosts.relay(platform)
    return redirect(elsewhere) if elsewhere is not None else _signed_in(platform)


@fan_bp.get("/<artist_slug>/signed-in/<platform>")
def signed_in_on_domain(artist_slug, platform):
    """The callback relayed to the label's domain where the sign-in began (across_hosts)."""
    public_artist(artist_slug)  # another label's artist is not on this domain
    return _signed_in(platform)


def _signed_in(platform):
    found = oauth_state.consume(request.args.get("state"), platform)
    if found is None:
        abort(400, _("This sign-in has expired, was already used or was started in another "
                     "browser. Go back to the page and try again."))
    payload, verifier = found
    artist, release = _release_by_id(payload["release_id"])
    language.adopt(artist, payload.get("language"))  # the page's, where the fan agreed
    page = url_for("fan.release", artist_slug=artist.slug, release_slug=release.slug)
    name = PLATFORM_NAMES[platform]
    if request.args.get("error") or request.args.get("error_reason"):
        cancelled = (request.args.get("error") or request.args.get("error_reason")) in (
            "access_denied", "user_denied")
        flash(_("You cancelled the %(platform)s sign-in, so nothing was saved. You can try "
                "again.", platform=name) if cancelled
              else _("%(platform)s couldn't sign you in. Please try again.", platform=name),
              "fan-error")
        return redirect(page)
    if not request.args.get("code"):
        abort(400, _("The platform sent no authorization code."))
    return _complete(artist, release, platform, payload, verifier, page)


def _complete(artist, release, platform, payload, verifier, page):
    setup = registry.resolve(artist.label_id, platform)
    client = platform_for(artist.label_id, platform, setup=setup)
    name = PLATFORM_NAMES[platform]
    try:
        tokens = client.exchange_code(request.args["code"], callback_url(platform), verifier)
        account = tokens.account_id or client.identity(tokens.access_token)
    except PlatformError as exc:
        flash(_sign_in_failed(name, exc), "fan-error")
        return redirect(page)
    granted = tokens.scope or " ".join(payload["scopes"])  # none said: what was asked
    if not client.granted_write(granted):
        flash(_("%(platform)s didn't give permission to add music to your library, so nothing "
                "was saved. Please try again and allow access.", platform=name), "fan-error")
        return redirect(page)
    try:
        with app_users.place_held(artist.label_id, setup):
            return _keep(artist, release, platform, payload, page, setup, tokens, account,
                         granted)
    except LockError:
        flash(_("%(platform)s sign-ins are busy. Please try again in a moment.", platform=name),
              "fan-error")
        return redirect(page)


def _keep(artist, release, platform, payload, page, setup, tokens, account, granted):
    """The sign-in's fan, consents, grant and pre-save, when the app has room for them."""
    name = PLATFORM_NAMES[platform]
    if not app_users.admits(artist.label_id, setup, account):  # the limit filled meanwhile
        page_version.bump()
        # Translators: %(note)s is the sentence saying the platform's app is full.
        flash(_("%(note)s Nothing was saved on %(platform)s: tap %(platform)s again to get a "
                "reminder.", note=full_note(name, app_users.limit(setup)), platform=name),
              "fan-error")
        return redirect(page)
    wrapper = WrapperInput(values=payload["values"], consents=payload["consents"])
    fan = presaves.upsert_fan(artist, wrapper, Place(**payload["place"]),
                              fan_id=payload["fan_id"], account=(platform, account))
    presaves.add_consents(fan, wrapper.consents, payload["ip_hash"])
    grant = presaves.store_grant(fan, platform, replace(tokens, scope=granted), account)
    presave, created = _record(release, fan, platform, grant)
    db.session.commit()
    if app_users.full(artist.label_id, setup):  # that was the last place: pages offer reminders
        page_version.bump()
    _count(artist, release, presave, grant, created)
    return remember_fan(redirect(page), artist, fan)


def _sign_in_failed(name, exc):
    if exc.status == 403 and "not approved" in (exc.message or "").lower():
        return _("%(platform)s says this artist's app has not approved your account yet: while "
                 "the app is in development mode, the label adds each listener by hand. Nothing "
                 "was saved; choose another platform, or try again later.", platform=name)
    return _("%(platform)s couldn't finish the sign-in. Please try again.", platform=name)


def _release_by_id(release_id):
    release = db.session.execute(select(Release).where(Release.id == release_id),
                                 execution_options={"all_tenants": True}).scalar_one_or_none()
    if release is None:
        abort(404)
    artist = db.session.execute(select(Artist).where(Artist.id == release.artist_id),
                                execution_options={"all_tenants": True}).scalar_one()
    set_request_scope(Scope.artist(artist.label_id, artist.id, actor="fan"))
    return artist, release
