"""A release page's body, rendered once and reused by every visitor who would get the same page.

Rendering the page is most of its cost, and until something changes every visitor
in the same state gets the same HTML but for a few per-request parts: the CSP
nonce, the CSRF token, the countdown's numbers, the server's clock and the ad cookie question
or pixels (which depend on the visitor's answer). A body is
rendered with markers in their places and kept in this process; each request
swaps its own values in.

What a body depends on is all in its key: every column of the release and of its
artist as loaded by this request (a staff edit shows at once), the platform
setup, the page state worked out for this request (so the page flips exactly at
the instant), the visitor's zone in local mode, the language, the in-app browser and the label's
domain the page was asked on (it makes its links its own way). Only the
states that are the same for every visitor are kept: Stream Now (the fan
cookie's order, the country's clicks), flashed messages and a form put back with
its errors are rendered afresh. Entries are dropped after a minute, or at the
countdown's instant, whichever comes first.
"""
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app, request, template_rendered
from sqlalchemy import inspect as sa_inspect

from app import languages
from app.localtime import now_utc
from app.views.public.custom_hosts import domain_name

MAX_ENTRIES = 512
KEEP = timedelta(seconds=60)
EXTENSION = "fan_page_cache"
PAGE_TEMPLATE = "fan/release.html"
# Letters and digits only, so escaping leaves them as they are; random per process, so no
# artist's text can contain one.
_MARK = f"Zq{secrets.token_hex(8)}"
NONCE, CSRF, NOW, ADS = (f"{_MARK}{name}" for name in ("nonce", "csrf", "now", "ads"))
PARTS = tuple(f"{_MARK}part{i}" for i in range(4))


@dataclass
class Entry:
    body: str  # with the markers in place of the per-request parts
    expires: datetime
    target: datetime | None  # the countdown's instant
    musickit: bool  # the page loads MusicKit JS: the response's policy must allow it


class PageCache:
    """A small LRU of rendered bodies, safe for a threaded worker."""

    def __init__(self, size=MAX_ENTRIES):
        self.size = size
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, now):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.expires <= now:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key, entry):
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self):
        with self._lock:
            self._entries.clear()


def cache():
    """This app's cache (each app has its own: their settings may differ)."""
    return current_app.extensions.setdefault(EXTENSION, PageCache())


def key(artist, release, setup, state, zone, in_app, rows=None, variant=None):
    """``rows``: rows(artist, release) when the caller has it already; ``variant``: the key of
    the A/B test's variant shown (each has its own page)."""
    local_zone = zone if release.release_mode == "local" else None
    return repr((rows or row_values(artist, release), setup, state, local_zone, in_app,
                 variant, languages.current().code, current_app.config.get("PUBLIC_BASE_URL"),
                 request.script_root, domain_name()))


def row_values(artist, release):
    """Every column of both, as loaded."""
    return _row(release), _row(artist)


def _row(obj):
    return tuple(getattr(obj, name) for name in _columns(type(obj)))


@lru_cache(maxsize=None)
def _columns(model):
    return tuple(attr.key for attr in sa_inspect(model).column_attrs)


def body(entry, nonce, csrf_token, parts, now, ads=""):
    """The entry's page with this request's values in place of the markers.

    ``csrf_token`` is called only when the page has a form: a visitor's first token sends
    them a cookie, which a page without a form need not. ``ads``: the visitor's own ad cookie
    block (app.views.public.ads), which goes in after the nonce is in place."""
    page = entry.body.replace(NONCE, nonce).replace(NOW, now).replace(ADS, ads)
    for marker, (number, _) in zip(PARTS, parts):
        page = page.replace(marker, number)
    return page.replace(CSRF, csrf_token()) if CSRF in page else page


def marked_parts(parts):
    return [(marker, unit) for marker, (_, unit) in zip(PARTS, parts)]


def new_entry(page, countdown, musickit):
    now = now_utc()
    expires = now + KEEP
    target = datetime.fromisoformat(countdown.target) if countdown else None
    if target is not None and target > now:
        expires = min(expires, target)
    return Entry(body=page, expires=expires, target=target, musickit=musickit)


def signal_page(release):
    """Tell template_rendered's listeners (the page-view recorder) which page was shown, as a
    render would have: a body from the cache renders nothing."""
    app = current_app._get_current_object()
    template = app.jinja_env.get_template(PAGE_TEMPLATE)
    template_rendered.send(app, _async_wrapper=app.ensure_sync, template=template,
                           context={"release": release})
