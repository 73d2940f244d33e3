"""The language a fan page speaks to its visitor.

Their own choice wins (the page's language menu, kept in a cookie), then what their
browser asks for (Accept-Language, with its weights; "pt-PT" finds Portuguese (Brazil)),
then the artist's default language, then English.
"""
from datetime import timedelta
from urllib.parse import urlencode

from flask import current_app, request

from app import languages
from app.views.public.blueprint import fan_bp
from app.views.public.custom_hosts import here

COOKIE = "presave_lang"  # not the fan cookie's prefix: a chosen language keeps the fast lane
CHOICE = "lang"  # the menu's query argument
SHOWN_IN = "shown_in"  # a fan form's field: the language it was shown in
MAX_AGE = timedelta(days=365)


def choose(artist=None):
    """The Language for this request: ?lang=, the cookie, Accept-Language, the artist's, or
    English."""
    chosen = (languages.find(request.args.get(CHOICE))
              or languages.find(request.cookies.get(COOKIE)))
    if chosen is not None:
        return chosen
    return (_asked_by_browser() or languages.find(getattr(artist, "default_language", None))
            or languages.english())


def _asked_by_browser():
    """The browser's most wanted language we speak: exactly, else by its primary subtag (a
    pt-PT browser reads Portuguese (Brazil) rather than its second choice)."""
    for tag, quality in request.accept_languages:  # the most wanted first
        spoken = quality > 0 and (languages.find(tag) or languages.find_primary(tag))
        if spoken:
            return spoken
    return None


def adopt(artist=None, spoken=None):
    """Speak this visitor's language from now on in the request (again once the artist is
    known: its default may be the one); ``spoken``: the code of the page the request comes
    back from (a sign-in's round trip), which wins."""
    languages.speak(languages.find(spoken) or choose(artist))


def menu(page=None):
    """(Language, the page's address in it) for each other language offered: this page's, or
    ``page``'s for a step a form posted (its own address answers POST only); none when a
    posted step names no page."""
    if page is None and request.method != "GET":
        return []
    shown, path = languages.current(), page or here()
    # The path and the choice only: a kept page serves every visitor, so nothing of this
    # visitor's query (their UTM tags) goes into it.
    return [(lang, f"{path}?{urlencode({CHOICE: lang.tag})}") for lang in languages.offered()
            if lang != shown]


@fan_bp.context_processor
def _language_helpers():
    return {"language": languages.current(), "language_menu": menu, "day_of": languages.day,
            "release_day": lambda release: languages.day(release.release_local)}


@fan_bp.before_request
def _speak_the_visitors():
    adopt()


@fan_bp.after_request
def _keep_the_choice(response):
    """A choice from the menu is remembered; every page says its language and that it varies."""
    chosen = languages.find(request.args.get(CHOICE))
    if chosen is not None:
        response.set_cookie(COOKIE, chosen.tag, max_age=int(MAX_AGE.total_seconds()),
                            samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"],
                            path="/s/")
    response.headers["Content-Language"] = languages.current().tag
    response.vary.update(("Accept-Language", "Cookie"))
    return response
