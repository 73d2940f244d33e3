"""Public web links of the streaming platforms: which hosts belong to which platform, and the
item a link names.

Besides the six platforms fans connect, the fan page links to link-only extras
(SoundCloud, Pandora, Audiomack, Bandcamp): no account, no catalogue search; their links come
from the external resolver (app.platforms.odesli) or from staff.
"""
import re
from urllib.parse import parse_qs, urlsplit

from app.platforms.keys import (AMAZON_MUSIC, APPLE_MUSIC, DEEZER, PLATFORM_KEYS, PLATFORM_NAMES,
                                SPOTIFY, TIDAL, YOUTUBE_MUSIC)

SOUNDCLOUD, PANDORA, AUDIOMACK, BANDCAMP = "soundcloud", "pandora", "audiomack", "bandcamp"
LINK_ONLY = (SOUNDCLOUD, PANDORA, AUDIOMACK, BANDCAMP)
LINK_PLATFORMS = (*PLATFORM_KEYS, *LINK_ONLY)
NAMES = {**PLATFORM_NAMES, SOUNDCLOUD: "SoundCloud", PANDORA: "Pandora", AUDIOMACK: "Audiomack",
         BANDCAMP: "Bandcamp"}

AMAZON_STORES = ("com", "co.uk", "de", "fr", "it", "es", "ca", "com.au", "co.jp", "in",
                 "com.br", "com.mx")
# A host is the platform's when it is one of these or a subdomain of one.
HOSTS = {
    SPOTIFY: ("open.spotify.com", "spotify.link"),
    APPLE_MUSIC: ("music.apple.com",),
    DEEZER: ("deezer.com", "deezer.page.link"),
    TIDAL: ("tidal.com",),
    YOUTUBE_MUSIC: ("music.youtube.com", "youtube.com", "youtu.be"),
    AMAZON_MUSIC: tuple(f"music.amazon.{store}" for store in AMAZON_STORES),
    SOUNDCLOUD: ("soundcloud.com",),
    PANDORA: ("pandora.com",),
    AUDIOMACK: ("audiomack.com",),
    BANDCAMP: ("bandcamp.com",),
}
# The track id inside a track link, for the platforms whose pre-saves save it.
TRACK_PATHS = {
    SPOTIFY: re.compile(r"^/(?:intl-[a-z-]+/)?track/([0-9A-Za-z]{22})$"),
    APPLE_MUSIC: re.compile(r"^/[a-z]{2}/song/(?:[^/]+/)?(\d+)$"),
    DEEZER: re.compile(r"^/(?:[a-z]{2}/)?track/(\d+)$"),
    TIDAL: re.compile(r"^/(?:browse/)?track/(\d+)$"),
    AMAZON_MUSIC: re.compile(r"^/tracks/([0-9A-Z]{10})$"),
}


def name(platform):
    return NAMES.get(platform, platform)


def known(platform):
    """The platform key, or ValueError naming the keys a link may be set for."""
    if platform not in LINK_PLATFORMS:
        raise ValueError(f"Unknown platform '{str(platform)[:40]}'; links can be set for "
                         f"{', '.join(LINK_PLATFORMS)}")
    return platform


def belongs(host, platform):
    host = (host or "").lower().rstrip(".")
    return any(host == root or host.endswith("." + root) for root in HOSTS[platform])


def checked_url(platform, url):
    """A link staff may give the fan page for ``platform``, else ValueError saying why."""
    text = str(url or "").strip()
    if not text:
        raise ValueError("Give the link (https://…)")
    if len(text) > 500:
        raise ValueError("The link is longer than 500 characters")
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        raise ValueError("This is not a valid link") from None
    if parts.scheme.lower() != "https":
        raise ValueError("Links must start with https://")
    if not host or not belongs(host, known(platform)):
        raise ValueError(f"A {name(platform)} link must point to "
                         f"{' or '.join(HOSTS[platform][:3])}, not {host or 'nowhere'}")
    if parts.username or parts.password:
        raise ValueError("Links must not carry a user name or password")
    return text


def platform_of(url):
    """Which platform a link belongs to, or None."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return next((p for p in LINK_PLATFORMS if host and belongs(host, p)), None)


def track_id(platform, url):
    """The track a link names (what pre-saves save), or None (an album, an artist, a short link)."""
    parts = urlsplit(url)
    if platform == YOUTUBE_MUSIC:
        if parts.hostname == "youtu.be":
            return parts.path.strip("/") or None
        return (parse_qs(parts.query).get("v") or [None])[0] if parts.path == "/watch" else None
    if platform == APPLE_MUSIC:  # an album link with ?i= names one of its songs
        song = (parse_qs(parts.query).get("i") or [None])[0]
        if song and song.isdigit():
            return song
    pattern = TRACK_PATHS.get(platform)
    found = pattern.match(parts.path.rstrip("/")) if pattern else None
    return found.group(1) if found else None
