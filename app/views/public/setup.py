"""How each platform of a release runs for its label (direct, remind, link), cached briefly.

The modes come from app.platforms.registry (resolve(), with the label's
credentials read once). Until a label's setup changes they
are the same for every visitor, so they are cached in Redis for a short while,
keyed by the release's id, last change and status and by the fan page version, which
every credential or pixel change moves: the page and the pre-save handler read the same modes.
"""
import json
import logging
from dataclasses import asdict, dataclass, field

import redis

from app.analytics import ad_pixels
from app.domains import directory
from app.extensions import redis_connection
from app.platforms import app_users, registry
from app.platforms.registry import DIRECT, MODES, REMIND
from app.views.public.speed import page_version

CACHE_PREFIX = "fanpage:setup:v4:"  # v4: with pixels
log = logging.getLogger(__name__)


@dataclass
class AppleDirect:
    script: str  # MusicKit JS: Apple's, or the sandbox's stand-in
    developer_token: str
    sandbox: bool = False


@dataclass
class PageSetup:
    modes: dict = field(default_factory=dict)  # platform key -> mode, in the release's order
    sandbox: bool = False  # some direct platform talks to the built-in sandbox
    apple: AppleDirect | None = None
    # platform key -> the user limit of an app that has reached it: its fans get reminders
    full: dict = field(default_factory=dict)
    # ad service key -> pixel id, loaded only for a visitor who accepts (app.views.public.ads)
    pixels: dict = field(default_factory=dict)

    def mode(self, key):
        return self.modes.get(key, REMIND)


def setup_for(release):
    """The release's platform setup, from the cache when it is fresh."""
    key = (f"{CACHE_PREFIX}{release.id}:{release.updated_at.timestamp():.6f}:{release.status}:"
           f"{page_version.current()}")
    cached = _cache_get(key)
    if cached is not None:
        return cached
    setup = build(release.label_id, list(release.platforms or []), release.artist_id)
    _cache_set(key, setup)
    return setup


def forget_setups():
    """Drop every cached setup (tests; after a change the short TTL would otherwise cover)."""
    conn = redis_connection()
    for key in conn.scan_iter(f"{CACHE_PREFIX}*"):
        conn.delete(key)


def build(label_id, platforms, artist_id=None):
    """The setup of ``platforms`` for the label (and the artist's pixels), uncached."""
    stored = registry.label_credentials(label_id)  # one query for all the release's platforms
    resolved = {key: registry.resolve(label_id, key, stored) for key in platforms}
    full = {key: app_users.limit(found) for key, found in resolved.items()
            if found.mode == DIRECT and app_users.full(label_id, found)}
    direct = {key: found for key, found in resolved.items()
              if found.mode == DIRECT and key not in full}
    apple = direct.get("apple_music")
    return PageSetup(modes={key: REMIND if key in full else _known(found.mode)
                            for key, found in resolved.items()},
                     sandbox=any(found.sandbox for found in direct.values()),
                     apple=_apple(label_id, apple) if apple else None, full=full,
                     pixels=ad_pixels.effective(label_id, artist_id) if artist_id else {})


def _known(mode):
    return mode if mode in MODES else REMIND


def _apple(label_id, resolved):
    """MusicKit's script and developer token; None (a plain submit button) when unusable."""
    try:
        with registry.platform_for(label_id, "apple_music", setup=resolved) as client:
            return AppleDirect(script=client.endpoints.script,
                               developer_token=client.developer_token(
                                   also_origins=_domain_origins(label_id)),
                               sandbox=client.endpoints.sandbox)
    except Exception as exc:  # a broken Apple key must not take the whole page down
        log.warning("Apple Music developer token unavailable for label %s: %s",
                    label_id, type(exc).__name__)
        return None


def _domain_origins(label_id):
    host = directory.active_host(label_id)
    return (f"https://{host}",) if host else ()


def _cache_get(key):
    try:
        raw = redis_connection().get(key)
    except redis.RedisError:
        log.warning("fan page cache unavailable; building the page setup afresh")
        return None
    if raw is None:
        return None
    data = json.loads(raw)
    apple = data.pop("apple")
    return PageSetup(**data, apple=AppleDirect(**apple) if apple else None)


def _cache_set(key, setup):
    try:
        redis_connection().set(key, json.dumps(asdict(setup)), ex=page_version.KEEP_SECONDS)
    except redis.RedisError:
        pass
