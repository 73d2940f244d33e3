"""The fan page for a new visitor, served without the app's whole request pipeline.

Most views of a release page come from people who have never been here: no
session cookie, so no flashed message and no login, and a page the page cache
already holds for their state. For them, finding the release and its platform
setup again, and the hooks that guard the admin (login, rate limits, tenant
scope), cost several times the page itself. This lane skips that work: each web
process keeps a copy of the release and artist as the full path last read them,
with the fan page version (app.views.public.speed.page_version) read before that, and
uses the copy only while the version is unchanged and the platform setup is still
within its cache lifetime. The response still goes through the app's own
after-request processing: its headers, page-view record and cookies are exactly
the full path's.

Anything else (another endpoint, a session cookie, a fan cookie, which makes the page the
fan's own, a page not kept, Redis not answering) goes the full way, which keeps the copy for the next visitor.
"""
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, request
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm.attributes import set_committed_value

from app.errors import has_nul_character
from app.localtime import now_utc
from app.views.public.custom_hosts import domain_name
from app.views.public.speed import page_version
from app.views.public.speed.page_cache import PageCache, row_values
from app.views.public.visitor.fan_cookie import COOKIE_PREFIX

PAGE_PATH = re.compile(r"/s/[^/]+/[^/]+")
ENDPOINT = "fan.release"
VERSION = "presave.fan_page_version"  # in the environ: what the lane read, for keep()
EXTENSION = "fan_page_lane"
KEEP = timedelta(seconds=page_version.KEEP_SECONDS)
log = logging.getLogger(__name__)


@dataclass
class Kept:
    version: int
    artist: object  # detached copies: no session, nothing lazy-loaded
    release: object
    setup: object
    rows: tuple  # page_cache.row_values() of the two, worked out once
    expires: datetime


class FastLane:
    """WSGI middleware in front of the app: serves what it can, hands on everything else."""

    def __init__(self, app, wsgi_app, render):
        """``render(artist, release, setup, rows)``: the page body from the page cache, or None
        (the fan page route's kept_page; passed in, since the routes import this module)."""
        self.app, self.wsgi_app, self.render = app, wsgi_app, render
        self.session_cookie = app.config["SESSION_COOKIE_NAME"] + "="

    def __call__(self, environ, start_response):
        response = self._serve(environ) if self._candidate(environ) else None
        if response is None:
            return self.wsgi_app(environ, start_response)
        return response(environ, start_response)

    def _candidate(self, environ):
        return (environ.get("REQUEST_METHOD") == "GET"
                and PAGE_PATH.fullmatch(environ.get("PATH_INFO", "")) is not None
                and not any(name in environ.get("HTTP_COOKIE", "")
                            for name in (self.session_cookie, COOKIE_PREFIX)))

    def _serve(self, environ):
        try:
            with self.app.request_context(environ):
                return _kept_response(self.render)
        except Exception:  # the full path answers instead
            log.exception("fan page lane failed; serving the page the full way")
            return None


def _kept_response(render):
    if request.endpoint != ENDPOINT or has_nul_character():
        return None
    version = page_version.current()
    request.environ[VERSION] = version
    kept = _store().get(_slugs(), now_utc())
    if version is None or kept is None or kept.version != version:
        return None
    body = render(kept.artist, kept.release, kept.setup, kept.rows)
    if body is None:
        return None
    app = current_app._get_current_object()
    return app.process_response(app.make_response(body))


def keep(artist, release, setup):
    """Keep what the full path just read, when the lane read the version before it."""
    version = request.environ.get(VERSION)
    if version is None or request.endpoint != ENDPOINT:
        return
    artist_copy, release_copy = _detached(artist), _detached(release)
    set_committed_value(release_copy, "artist", artist_copy)
    _store().put(_slugs(), Kept(version, artist_copy, release_copy, setup,
                                row_values(artist_copy, release_copy), now_utc() + KEEP))


def _slugs():
    """The kept page's key: the label's domain too, which makes its links its own way."""
    return domain_name(), request.view_args["artist_slug"], request.view_args["release_slug"]


def _store():
    return current_app.extensions.setdefault(EXTENSION, PageCache())


def _detached(obj):
    """A copy of ``obj``'s columns in a new instance that no session will ever expire."""
    mapper = sa_inspect(obj).mapper
    copy = mapper.class_manager.new_instance()
    for attr in mapper.column_attrs:
        set_committed_value(copy, attr.key, getattr(obj, attr.key))
    return copy
