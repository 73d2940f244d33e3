"""The fan pages: /s/<artist> lists an artist's public releases, /s/<artist>/<release> is one."""
from flask import abort, get_flashed_messages, redirect, render_template, request, url_for

from app.analytics import ab_assign, capture
from app.languages import gettext as _
from app.localtime import now_utc
from app.releases.rules import artwork_url
from app.views.public import ads, links, page
from app.views.public.visitor import csrf as fan_csrf
from app.views.public.speed import fast_lane
from app.views.public import language
from app.views.public.visitor import headers
from app.views.public.speed import page_cache
from app.views.public.visitor import place as visitor
from app.views.public.blueprint import fan_bp
from app.analytics.inapp import in_app_browser
from app.views.public.lookup import public_artist, public_release, public_releases
from app.views.public.setup import setup_for
from app.views.public.known_fan import known_fan
from app.releases.state import STREAM

FLASH_CATEGORIES = ["fan-success", "fan-info", "fan-error"]
PAGE_TEMPLATE = page_cache.PAGE_TEMPLATE


@fan_bp.route("/<artist_slug>/<release_slug>", endpoint="release")
def release_page(artist_slug, release_slug):
    artist, release = public_release(artist_slug, release_slug)
    return render_release_page(artist, release)


@fan_bp.route("/<artist_slug>", endpoint="artist")
def artist_page(artist_slug):
    artist = public_artist(artist_slug)
    return render_template("fan/artist.html", artist=artist, releases=public_releases(artist),
                           theme=page.theme(artist), artwork_url=artwork_url,
                           state_of=page.visitor_state)


@fan_bp.route("/<artist_slug>/<release_slug>/go/<platform>", endpoint="go")
def go(artist_slug, release_slug, platform):
    """A tracked "Listen on …": the click is counted (once a day per visitor and platform), then
    a 302 to the stored link or a search."""
    _, release = public_release(artist_slug, release_slug)
    if page.visitor_state(release) != STREAM:
        abort(404)
    target = links.destination(release, platform)
    if target is None:
        abort(404)
    capture.record("stream_click", release, platform, once_a_day=True)
    return redirect(target, 302)


@fan_bp.route("/<artist_slug>/<release_slug>/listen/<platform>", endpoint="listen")
def listen(artist_slug, release_slug, platform):
    """The buttons' old address, kept for links already shared."""
    artist, release = public_release(artist_slug, release_slug)
    if platform not in links.PLATFORMS:
        abort(404)
    return redirect(url_for("fan.go", artist_slug=artist.slug, release_slug=release.slug,
                            platform=platform), 301)


def render_release_page(artist, release):
    """The release's page. A page the same for every visitor in its state comes from the page
    cache."""
    setup = setup_for(release)
    in_app = in_app_browser(request.user_agent.string)
    state = page.visitor_state(release)
    messages = get_flashed_messages(with_categories=True, category_filter=FLASH_CATEGORIES)
    known = known_fan(artist, release)
    variant = ab_assign.shown(release) if state != STREAM else None
    if messages or state == STREAM or known is not None:
        context = page.context(artist, release, setup, in_app, state, known, variant)
        if context["done"]:  # the page itself now says what the message said
            messages = [(c, text) for c, text in messages if c != "fan-success"]
        _allow_musickit(setup, context["buttons"])
        leads = [text for _, text in get_flashed_messages(with_categories=True,
                                                           category_filter=[ads.LEAD_FLASH])]
        return render_template(PAGE_TEMPLATE, action=presave_action(artist, release),
                               messages=messages, ad_block=lambda: ads.block(
                                   artist, release, setup.pixels, leads), **context)
    fast_lane.keep(artist, release, setup)
    return _cached_page(artist, release, setup, in_app, state, variant)


def render_details_step(artist, release, platform, *, values=None, errors=None, status=200,
                        known=None):
    """The step between a platform's tap and its sign-in; values and errors put the fan's
    input back with inline messages."""
    setup = setup_for(release)
    context = page.details_context(artist, release, setup, in_app_browser(
        request.user_agent.string), platform, values or {}, errors or {}, known)
    _allow_musickit(setup, [context["chosen"]])
    return render_template("fan/details.html", action=presave_action(artist, release),
                           page_url=url_for("fan.release", artist_slug=artist.slug,
                                            release_slug=release.slug), **context), status


def kept_page(artist, release, setup, rows):
    """The page from the page cache alone: None unless it holds this visitor's page.
    ``rows``: page_cache.row_values(artist, release)."""
    language.adopt(artist)
    state = page.visitor_state(release)
    if state == STREAM or not ab_assign.ready(release):
        return None
    _, entry, now = _lookup(artist, release, setup, in_app_browser(request.user_agent.string),
                            state, rows, ab_assign.shown(release))
    if entry is None:
        return None
    page_cache.signal_page(release)
    return _filled(entry, artist, release, setup, now)


def _cached_page(artist, release, setup, in_app, state, variant=None):
    key, entry, now = _lookup(artist, release, setup, in_app, state, variant=variant)
    if entry is None:
        entry = _marked_page(artist, release, setup, in_app, state, variant)
        page_cache.cache().put(key, entry)
    else:
        page_cache.signal_page(release)
    return _filled(entry, artist, release, setup, now)


def _lookup(artist, release, setup, in_app, state, rows=None, variant=None):
    """(key, the page cache's entry or None, now)."""
    now = now_utc()
    key = page_cache.key(artist, release, setup, state, visitor.zone(), in_app, rows,
                         variant.key if variant is not None else None)
    return key, page_cache.cache().get(key, now), now


def _filled(entry, artist, release, setup, now):
    """The kept body with this request's nonce, CSRF token, countdown, clock and ad cookie
    block."""
    if entry.musickit:
        headers.allow_musickit(setup.apple.script, setup.apple.sandbox)
    parts = page.countdown_parts(entry.target) if entry.target else []
    return page_cache.body(entry, headers.csp_nonce(), fan_csrf.token, parts, now.isoformat(),
                           ads.block(artist, release, setup.pixels))


def _marked_page(artist, release, setup, in_app, state, variant=None):
    """The page rendered with the cache's markers in place of the per-request parts."""
    context = page.context(artist, release, setup, in_app, state, variant=variant)
    countdown = context["countdown"]
    if countdown:
        countdown.parts = page_cache.marked_parts(countdown.parts)
        countdown.now = page_cache.NOW
    body = render_template(PAGE_TEMPLATE, action=presave_action(artist, release), messages=[],
                           csp_nonce=lambda: page_cache.NONCE,
                           csrf_token=lambda: page_cache.CSRF, ad_block=lambda: page_cache.ADS,
                           **context)
    return page_cache.new_entry(body, countdown, _allow_musickit(setup, context["buttons"]))


def _allow_musickit(setup, buttons):
    """Let the response load MusicKit JS when a button uses it; whether one does."""
    if setup.apple and any(b.kind == "musickit" for b in buttons):
        headers.allow_musickit(setup.apple.script, setup.apple.sandbox)
        return True
    return False


def presave_action(artist, release):
    return url_for("fan.presave", artist_slug=artist.slug, release_slug=release.slug)


@fan_bp.errorhandler(404)
def not_found(exc):
    return render_template("fan/message.html", title=_("Page not found"),
                           message=_("This page does not exist, or is not public yet.")), 404
