"""The fan pages: /s/<artist> lists an artist's public releases, /s/<artist>/<release> is one."""
from flask import abort, get_flashed_messages, redirect, render_template, request, url_for
from werkzeug.routing import BuildError

from app.analytics import capture
from app.releases import artwork_url
from app.views.public import headers, links, page
from app.views.public.blueprint import fan_bp
from app.views.public.inapp import in_app_browser
from app.views.public.lookup import public_artist, public_release, public_releases
from app.views.public.setup import setup_for
from app.views.public.timing import STREAM

FLASH_CATEGORIES = ["fan-success", "fan-info", "fan-error"]


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
    """A tracked "Listen on …": the click is counted, then a 302 to the stored link or a search."""
    _, release = public_release(artist_slug, release_slug)
    if page.visitor_state(release) != STREAM:
        abort(404)
    target = links.destination(release, platform)
    if target is None:
        abort(404)
    capture.record("stream_click", release, platform)
    return redirect(target, 302)


@fan_bp.route("/<artist_slug>/<release_slug>/listen/<platform>", endpoint="listen")
def listen(artist_slug, release_slug, platform):
    """The buttons' old address, kept for links already shared."""
    artist, release = public_release(artist_slug, release_slug)
    if platform not in links.PLATFORMS:
        abort(404)
    return redirect(url_for("fan.go", artist_slug=artist.slug, release_slug=release.slug,
                            platform=platform), 301)


def render_release_page(artist, release, *, values=None, errors=None, status=200):
    """The release's page; values and errors put the fan's input back with inline messages."""
    setup = setup_for(release)
    context = page.context(artist, release, setup, in_app_browser(request.user_agent.string),
                           values or {}, errors or {})
    if setup.apple and any(b.kind == "musickit" for b in context["buttons"]):
        headers.allow_musickit(setup.apple.script, setup.apple.sandbox)
    messages = get_flashed_messages(with_categories=True, category_filter=FLASH_CATEGORIES)
    body = render_template("fan/release.html", action=presave_action(artist, release),
                           messages=messages, **context)
    return body, status


def presave_action(artist, release):
    try:
        return url_for("fan.presave", artist_slug=artist.slug, release_slug=release.slug)
    except BuildError:  # the pre-save handler is not registered (yet)
        return f"/s/{artist.slug}/{release.slug}/presave"


@fan_bp.errorhandler(404)
def not_found(exc):
    return render_template("fan/message.html", title="Page not found",
                           message="This page does not exist, or is not public yet."), 404
