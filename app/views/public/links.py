"""Where a 'Listen on …' button goes: the release's stored link on the platform, else a search.

Nothing in the request chooses the destination. A stored link is followed only
when it is an https URL on one of the platform's own hosts; anything else (a row
edited to point elsewhere) gives the platform's search page instead, built from
the release's own artist and title. The platforms' hosts are the ones staff links are
checked against (app.platforms.web_links).
"""
import logging
import re
from urllib.parse import quote, quote_plus, urlsplit

from sqlalchemy import select

from app.extensions import db
from app.models import StreamingLink
from app.platform_table import LINK_PLATFORMS, descriptor
from app.platforms import web_links

log = logging.getLogger(__name__)

PLATFORMS = frozenset(LINK_PLATFORMS)
URL_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")  # RFC 3986, nothing else


def release_links(release):
    """{platform: StreamingLink} of the release, hidden ones included."""
    rows = db.session.scalars(select(StreamingLink).where(StreamingLink.release_id == release.id))
    return {link.platform: link for link in rows}


def on_platform(url, platform):
    """Is ``url`` an https link on one of the platform's own hosts, and nothing trickier?"""
    if not isinstance(url, str) or not URL_CHARACTERS.fullmatch(url):
        return False  # spaces, CR/LF, backslashes, non-ASCII: none belong in a stored link
    parts = urlsplit(url)
    host = parts.hostname  # lower case; None without one
    return (parts.scheme == "https" and host is not None and parts.netloc.lower() == host
            and platform in PLATFORMS and web_links.belongs(host, platform))


def search_url(release, platform):
    text = f"{release.artist.name} {release.title}"
    return descriptor(platform).search.format(path=quote(text, safe=""), query=quote_plus(text))


def destination(release, platform):
    """Where /go/<platform> sends the visitor, or None (a 404): unknown, hidden or not offered."""
    if platform not in PLATFORMS:
        return None
    link = release_links(release).get(platform)
    if link is None:
        return search_url(release, platform) if platform in (release.platforms or []) else None
    if link.hidden:
        return None
    if on_platform(link.url, platform):
        return link.url
    log.warning("release %s: the %s link is not a %s URL; sending to its search instead",
                release.id, platform, platform)
    return search_url(release, platform)
