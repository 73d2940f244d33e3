"""Public web links of the streaming platforms: which hosts belong to which platform, and the
item a link names.

The hosts and track paths are the descriptors' (app.platform_table); besides the platforms
fans connect, they include the link-only extras, whose links come from the external resolver
(app.platforms.odesli) or from staff.
"""
from urllib.parse import parse_qs, urlsplit

from app.platform_table import APPLE_MUSIC, DESCRIPTORS, LINK_PLATFORMS, YOUTUBE_MUSIC, name


def known(platform):
    """The platform key, or ValueError naming the keys a link may be set for."""
    if platform not in LINK_PLATFORMS:
        raise ValueError(f"Unknown platform '{str(platform)[:40]}'; links can be set for "
                         f"{', '.join(LINK_PLATFORMS)}")
    return platform


def belongs(host, platform):
    host = (host or "").lower().rstrip(".")
    return any(host == root or host.endswith("." + root) for root in DESCRIPTORS[platform].hosts)


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
                         f"{' or '.join(DESCRIPTORS[platform].hosts[:3])}, not {host or 'nowhere'}")
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
    pattern = DESCRIPTORS[platform].track_path if platform in DESCRIPTORS else None
    found = pattern.match(parts.path.rstrip("/")) if pattern else None
    return found.group(1) if found else None


def item_id(platform, url, kind="track"):
    """The ``kind`` item ("track" or "album") a link names, or None."""
    if kind == "track":
        return track_id(platform, url)
    parts = urlsplit(url)
    if platform == APPLE_MUSIC and parse_qs(parts.query).get("i"):
        return None  # one song of the album
    pattern = DESCRIPTORS[platform].album_path if platform in DESCRIPTORS else None
    found = pattern.match(parts.path.rstrip("/")) if pattern else None
    return found.group(1) if found else None


def artist_id(platform, value):
    """The artist id staff gave for ``platform``, or pasted as the artist's link there (the
    id is then the link's last part of that shape); None for nothing, ValueError saying how
    the id looks."""
    facts = DESCRIPTORS[platform]
    text = str(value or "").strip()
    if not text:
        return None
    if "/" in text:
        try:
            parts = urlsplit(text if "://" in text else f"https://{text}")
            host = parts.hostname
        except ValueError:
            host = None
        if host and belongs(host, platform):
            text = next((part for part in reversed(parts.path.split("/"))
                         if facts.artist_id.matches(part)), text)
    if not facts.artist_id.matches(text):
        article = "An" if facts.name[0] in "AEIOU" else "A"
        raise ValueError(f"{article} {facts.name} artist id is {facts.artist_id_help}")
    return text
