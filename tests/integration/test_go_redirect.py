"""/go/<platform> is no open redirect: whatever the request holds, it sends the visitor to the
release's stored link (an https URL on the platform's own hosts) or to the platform's search
for the release's own artist and title, and nowhere else."""
import json
import re
from collections import Counter
from datetime import datetime, timezone
from urllib.parse import urlsplit

import pytest
from app.analytics.capture import STREAM
from app.extensions import redis_connection
from app.localtime import frozen
from app.models.release import DRAFT, RELEASED
from app.platforms import web_links
from tests.stream_pages import add_link, set_link, visitor

SPOTIFY_LINK = "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC"
SPOTIFY_SEARCH = "https://open.spotify.com/search/Sea%20%26%20Sky%20Blue%20Hour"


@pytest.fixture
def released(app, make_release):
    path, release_id, _ = make_release(status=RELEASED, platforms=("spotify", "deezer"))
    add_link(app, release_id, "spotify", SPOTIFY_LINK)
    return path, release_id


def go(client, url):
    return client.get(url, **visitor("127.0.0.1"))


def local(location, path):
    """A path of this release on this site (werkzeug's own redirects name the host)."""
    parts = urlsplit(location)
    return parts.netloc in ("", "localhost") and parts.path.startswith(path + "/")


PLATFORM_VALUES = [
    "//evil.com", "https:", "https:%2F%2Fevil.com", "%2F%2Fevil.com", "%2f%2fevil.com",
    "evil.com", "https://evil.com", "%5C%5Cevil.com", "\\\\evil.com", "spotify%2F%2Fevil.com",
    "spotify%0D%0ALocation:%20https://evil.com", "%0d%0aLocation:https://evil.com",
    "spotify%00", "spotify%20", "SPOTIFY", "Spotify", "spotify.", "spot%C3%ACfy",
    "%EF%BD%93%EF%BD%90%EF%BD%8F%EF%BD%94%EF%BD%89%EF%BD%86%EF%BD%99",  # fullwidth "spotify"
    "..%2F..%2F..%2Fevil.com", "%2e%2e", "javascript:alert(1)", "spotify;evil.com",
    "spotify@evil.com", "spotify#evil.com", "deezer%3Fnext%3D%2F%2Fevil.com",
]


@pytest.mark.parametrize("value", PLATFORM_VALUES)
@pytest.mark.parametrize("prefix", ["go", "listen"])
def test_no_platform_value_leads_elsewhere(client, released, value, prefix):
    path, _ = released
    response = go(client, f"{path}/{prefix}/{value}")
    assert response.status_code in (301, 302, 308, 400, 404), response.status_code
    location = response.headers.get("Location")
    if response.status_code >= 400:
        assert location is None
    else:
        assert location in (SPOTIFY_LINK, SPOTIFY_SEARCH) or local(location, path), location


QUERIES = ["next=https://evil.com", "url=//evil.com", "redirect=https%3A%2F%2Fevil.com",
           "to=%0d%0aLocation:%20https://evil.com", "platform=deezer&link=https://evil.com",
           "q=evil&term=evil&utm_source=https://evil.com", "next=%E2%80%AE//evil.com"]


@pytest.mark.parametrize("query", QUERIES)
def test_query_strings_choose_nothing(client, released, query):
    path, _ = released
    assert go(client, f"{path}/go/spotify?{query}").headers["Location"] == SPOTIFY_LINK
    deezer = go(client, f"{path}/go/deezer?{query}").headers["Location"]
    assert deezer == "https://www.deezer.com/search/Sea%20%26%20Sky%20Blue%20Hour"
    old = go(client, f"{path}/listen/spotify?{query}").headers["Location"]
    assert old == f"{path}/go/spotify"


TAMPERED = [
    "https://evil.com/track/1", "http://open.spotify.com/track/1", "//evil.com/track/1",
    "https://open.spotify.com.evil.com/track/1", "https://evil.com@open.spotify.com/track/1",
    "https://open.spotify.com@evil.com/track/1", "https://open.spotify.com:8443/track/1",
    "https://open.spotify.com\\@evil.com/",
    "https://open.spotify.com/x\r\nLocation: https://evil.com",
    "https://open.spotify.com%2Eevil.com/x", "https://ореn.spotify.com/track/1",  # Cyrillic о, е
    "javascript:alert(document.cookie)", "data:text/html,<script>alert(1)</script>",
    "https://music.apple.com/us/song/1", " https://evil.com", "https://open.spotify.com/ x",
    "https:/evil.com/track/1", "https:evil.com", "", "/s/somewhere/else",
]


@pytest.mark.parametrize("url", TAMPERED)
def test_a_link_row_pointing_elsewhere_is_not_followed(app, client, released, url):
    path, release_id = released
    set_link(app, release_id, "spotify", url=url)
    response = go(client, f"{path}/go/spotify")
    assert (response.status_code, response.headers["Location"]) == (302, SPOTIFY_SEARCH)


def test_every_search_page_is_on_its_platforms_own_host(app, client, make_release):
    """A search is built from the release's own artist and title, each quoted whole."""
    platforms = web_links.LINK_PLATFORMS
    path, _, _ = make_release(status=RELEASED, platforms=platforms,
                              title="//evil.com/?next=https://evil.com#\r\nX: y")
    for platform in platforms:
        location = go(client, f"{path}/go/{platform}").headers["Location"]
        parts = urlsplit(location)
        assert parts.scheme == "https" and web_links.belongs(parts.netloc, platform), location
        assert "evil.com/" not in location and "\r" not in location and "\n" not in location
        assert re.fullmatch(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", location), location


def test_a_stream_click_is_recorded_with_the_redirect(app, client, released):
    path, release_id = released
    with app.app_context():
        before = redis_connection().xlen(STREAM)
    assert go(client, f"{path}/go/spotify").status_code == 302
    assert go(client, f"{path}/go/myspace").status_code == 404  # no click for a 404
    with app.app_context():
        conn = redis_connection()
        assert conn.xlen(STREAM) == before + 1
        (_, fields), = conn.xrevrange(STREAM, count=1)
    event = json.loads(fields[b"e"])
    assert (event["kind"], event["release_id"], event["platform"]) == (
        "stream_click", release_id, "spotify")


def test_a_visitor_counts_once_a_day_per_platform(app, released):
    path, release_id = released

    def clicks():
        with app.app_context():
            entries = redis_connection().xrange(STREAM)
        events = (json.loads(fields[b"e"]) for _, fields in entries)
        return Counter(e["platform"] for e in events
                       if e["kind"] == "stream_click" and e["release_id"] == release_id)
    fan, neighbour = app.test_client(), app.test_client()
    with frozen(datetime(2031, 6, 1, 12, 0, tzinfo=timezone.utc)):
        for _ in range(3):  # tapping again, or a script replaying the link
            assert fan.get(f"{path}/go/spotify", **visitor("81.2.69.142")).status_code == 302
        fan.get(f"{path}/go/deezer", **visitor("81.2.69.142"))
        neighbour.get(f"{path}/go/spotify", **visitor("24.24.24.24"))
    assert clicks() == {"spotify": 2, "deezer": 1}
    with frozen(datetime(2031, 6, 2, 12, 0, tzinfo=timezone.utc)):  # a new day: the same fan counts again
        assert fan.get(f"{path}/go/spotify", **visitor("81.2.69.142")).status_code == 302
    assert clicks() == {"spotify": 3, "deezer": 1}


def test_a_draft_and_a_hidden_link_are_404(app, client, make_release, released):
    draft, release_id, _ = make_release(status=DRAFT)
    add_link(app, release_id, "spotify", SPOTIFY_LINK)
    assert go(client, f"{draft}/go/spotify").status_code == 404
    path, release_id = released
    set_link(app, release_id, "spotify", hidden=True)
    response = go(client, f"{path}/go/spotify")
    assert response.status_code == 404 and "Location" not in response.headers
