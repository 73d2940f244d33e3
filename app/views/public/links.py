"""Where a 'Listen on …' button goes: the streaming link found for the release, else a search."""
from urllib.parse import quote, quote_plus

from sqlalchemy import select

from app.extensions import db
from app.models import StreamingLink

SEARCH = {  # platform -> search page for a query (until the release's link is found)
    "spotify": "https://open.spotify.com/search/{path}",
    "apple_music": "https://music.apple.com/search?term={query}",
    "deezer": "https://www.deezer.com/search/{path}",
    "tidal": "https://listen.tidal.com/search?q={query}",
    "youtube_music": "https://music.youtube.com/search?q={query}",
    "amazon_music": "https://music.amazon.com/search/{path}",
    "soundcloud": "https://soundcloud.com/search?q={query}",
    "pandora": "https://www.pandora.com/search/{path}/all",
    "audiomack": "https://audiomack.com/search?q={query}",
}


def listen_url(release, platform):
    """The link found for the release on the platform, else that platform's search; None if unknown."""
    found = db.session.scalars(select(StreamingLink.url).where(
        StreamingLink.release_id == release.id, StreamingLink.platform == platform,
        StreamingLink.hidden.is_(False))).first()
    if found:
        return found
    template = SEARCH.get(platform)
    text = f"{release.artist.name} {release.title}"
    return template.format(path=quote(text, safe=""), query=quote_plus(text)) if template else None
