"""The switch to "Stream Now" through HTTP: at the release instant by the code's clock (in local
mode at each visitor's own midnight), buttons ordered for the visitor, links not found yet as
searches, and nothing cached past the instant."""
import json
import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest

from app.extensions import redis_connection
from app.localtime import frozen
from app.models.release import RELEASED
from app.views.public.stream import forget_clicks
from tests.stream_pages import (LONDON, MUMBAI, NEW_YORK, NOWHERE, TOKYO, UTC, add_clicks,
                                add_link, visitor)

SECOND = timedelta(seconds=1)
SPOTIFY_LINK = "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC"


@pytest.fixture(autouse=True)
def fresh_counts(app):
    with app.app_context():
        forget_clicks()


def get(client, path, address=NOWHERE, **kwargs):
    return client.get(path, **visitor(address), **kwargs)


def text(response):
    return response.get_data(as_text=True)


def stream_buttons(page):
    """[(platform, label)] of the Stream Now buttons, in page order."""
    return re.findall(r'<a class="pbtn p-([a-z_]+)[^"]*" href="[^"]+" rel="noopener" '
                      r'data-platform="[a-z_]+" aria-label="([^"]+)">', page)


def order(page):
    return [platform for platform, _ in stream_buttons(page)]


def countdown_target(page):
    found = re.search(r'data-countdown="([^"]+)"', page)
    return datetime.fromisoformat(found.group(1)) if found else None


# -- the instant ------------------------------------------------------------------------------

def test_the_page_switches_at_the_release_instant_by_the_clock(client, make_release, app):
    path, release_id, out = make_release()
    add_link(app, release_id, "spotify", SPOTIFY_LINK)
    with frozen(out - SECOND):
        before = text(get(client, path))
        assert get(client, path + "/go/spotify").status_code == 404
    assert "Pre-Save on Spotify" in before and "Stream Now" not in before
    assert countdown_target(before) == out
    with frozen(out):  # the stored status is still "presave_active": no job has run
        after = text(get(client, path))
        go = get(client, path + "/go/spotify")
    assert "Stream Now" in after and "<form" not in after and "data-countdown" not in after
    assert stream_buttons(after)[0] == ("spotify", "Listen on Spotify")
    assert f'href="{path}/go/spotify"' in after
    assert (go.status_code, go.headers["Location"]) == (302, SPOTIFY_LINK)


def test_the_artist_page_switches_at_the_instant_too(client, make_release, stream_studio):
    path, _, out = make_release()
    slug = path.rsplit("/", 1)[1]
    pill = re.compile(rf'href="{re.escape(path)}">.*?class="pill pill-([a-z]+)"', re.S)
    with frozen(out - SECOND):
        assert pill.search(text(get(client, f"/s/{stream_studio[0]}"))).group(1) == "presave"
    with frozen(out):
        assert pill.search(text(get(client, f"/s/{stream_studio[0]}"))).group(1) == "stream", slug


@pytest.mark.parametrize("suffix", ["", "/go/spotify", "/go/deezer", "/listen/spotify",
                                    "/go/myspace"])
def test_nothing_is_cached_past_the_instant(client, make_release, app, stream_studio, suffix):
    """Pages and redirects change at the instant: no shared or private cache may keep one,
    and there is no validator (ETag, Last-Modified) that could call an old copy fresh."""
    path, release_id, out = make_release()
    add_link(app, release_id, "spotify", SPOTIFY_LINK)
    for at in (out - SECOND, out, out + SECOND):
        with frozen(at):
            for url in (path + suffix, f"/s/{stream_studio[0]}"):
                response = get(client, url)
                assert response.headers["Cache-Control"] == "private, no-store", (at, url)
                for header in ("Expires", "ETag", "Last-Modified", "Age"):
                    assert header not in response.headers, (at, url, header)


# -- the buttons ------------------------------------------------------------------------------

def test_platforms_without_a_link_are_searches_never_broken_buttons(client, make_release, app):
    path, release_id, out = make_release(status=RELEASED)
    add_link(app, release_id, "spotify", SPOTIFY_LINK)
    add_link(app, release_id, "soundcloud", "https://soundcloud.com/sea-sky/blue-hour")
    add_link(app, release_id, "tidal", "https://tidal.com/browse/track/1", hidden=True)
    page = text(get(client, path))
    assert dict(stream_buttons(page)) == {
        "spotify": "Listen on Spotify", "apple_music": "Search on Apple Music",
        "deezer": "Search on Deezer", "soundcloud": "Listen on SoundCloud"}  # tidal: hidden
    assert "pbtn p-deezer pbtn-search" in page and "Not listed there yet" in page
    deezer = get(client, path + "/go/deezer")
    assert deezer.status_code == 302
    assert deezer.headers["Location"] == \
        "https://www.deezer.com/search/Sea%20%26%20Sky%20Blue%20Hour"
    apple = get(client, path + "/go/apple_music")
    assert apple.headers["Location"] == "https://music.apple.com/search?term=Sea+%26+Sky+Blue+Hour"
    assert get(client, path + "/go/tidal").status_code == 404  # hidden by staff
    assert get(client, path + "/go/soundcloud").headers["Location"] == \
        "https://soundcloud.com/sea-sky/blue-hour"
    assert get(client, path + "/go/youtube_music").status_code == 404  # not offered, no link


def test_buttons_follow_what_visitors_from_the_country_click_most(client, make_release, app):
    path, release_id, _ = make_release(status=RELEASED)
    add_clicks(app, release_id, "IN", "tidal", 3)
    add_clicks(app, release_id, "IN", "deezer", 2, kind="platform_click")
    add_clicks(app, release_id, "JP", "apple_music", 5)
    add_clicks(app, release_id, "JP", "deezer", 1)
    add_clicks(app, release_id, "IN", "spotify", 9, kind="page_view")  # not a click
    assert order(text(get(client, path, MUMBAI))) == ["tidal", "deezer", "spotify", "apple_music"]
    assert order(text(get(client, path, TOKYO))) == ["apple_music", "deezer", "spotify", "tidal"]
    assert order(text(get(client, path, LONDON))) == ["spotify", "apple_music", "deezer", "tidal"]
    # GeoIP knows nothing: what every visitor clicked (apple 5, tidal 3, deezer 3)
    assert order(text(get(client, path, NOWHERE))) == ["apple_music", "deezer", "tidal", "spotify"]


def test_click_counts_are_one_grouped_query_kept_a_minute(client, make_release, app):
    path, release_id, out = make_release(status=RELEASED)
    key = f"fanpage:clicks:{release_id}"
    add_clicks(app, release_id, "IN", "tidal", 1)
    with frozen(out):
        assert order(text(get(client, path, MUMBAI)))[0] == "tidal"
    with app.app_context():
        cached = redis_connection().hgetall(key)
        assert {k: json.loads(v) for k, v in cached.items()} == {  # every country, one query
            b"_": (out + 60 * SECOND).timestamp(), b"IN": {"tidal": 1}, b"*": {"tidal": 1}}
    add_clicks(app, release_id, "IN", "deezer", 5)
    add_clicks(app, release_id, "JP", "apple_music", 1)
    with frozen(out + 59 * SECOND):
        assert order(text(get(client, path, MUMBAI)))[0] == "tidal"  # the counts kept
        assert order(text(get(client, path, TOKYO)))[0] == "spotify"  # no JP clicks then
    with frozen(out + 60 * SECOND):
        assert order(text(get(client, path, MUMBAI)))[0] == "deezer"  # counted again
        assert order(text(get(client, path, TOKYO)))[0] == "apple_music"


def test_stale_counts_serve_while_another_visitor_recounts(client, make_release, app):
    path, release_id, out = make_release(status=RELEASED)
    add_clicks(app, release_id, "IN", "tidal", 1)
    with frozen(out):
        assert order(text(get(client, path, MUMBAI)))[0] == "tidal"
    add_clicks(app, release_id, "IN", "deezer", 5)
    with app.app_context():
        redis_connection().set(f"fanpage:clicks:{release_id}:counting", 1)  # someone counting
    with frozen(out + 2 * 60 * SECOND):
        assert order(text(get(client, path, MUMBAI)))[0] == "tidal"  # stale, not a second count
    with app.app_context():
        redis_connection().delete(f"fanpage:clicks:{release_id}:counting")
    with frozen(out + 2 * 60 * SECOND):
        assert order(text(get(client, path, MUMBAI)))[0] == "deezer"


def presave_as_fan(client, path, platform, address):
    """A pre-save through the page's form (reminders: no platform round trip); sets the cookie."""
    response = client.post(path + "/presave", data={"platform": platform,
                                                    "email": "ada@example.com"},
                           **visitor(address))
    assert response.status_code == 302, text(response)


def test_the_fans_own_platform_comes_first(client, app, make_release, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOX_ENABLED", False)  # every platform: reminders
    from app.views.public.setup import forget_setups
    with app.app_context():
        forget_setups()
    path, release_id, out = make_release()
    add_clicks(app, release_id, "IN", "tidal", 4)
    add_clicks(app, release_id, "IN", "apple_music", 2)
    with frozen(out - timedelta(days=1)):
        presave_as_fan(client, path, "deezer", MUMBAI)
    with frozen(out):
        assert order(text(get(client, path, MUMBAI))) == ["deezer", "tidal", "apple_music",
                                                          "spotify"]
        other_browser = app.test_client()
        assert order(text(get(other_browser, path, MUMBAI))) == ["tidal", "apple_music",
                                                                 "spotify", "deezer"]


# -- local mode: the visitor's own midnight ----------------------------------------------------

LOCAL_DAY = "2031-05-10T00:00"  # Europe/London (BST): its midnight is 23:00 UTC on the 9th
MIDNIGHT_UTC = {TOKYO: datetime(2031, 5, 9, 15, 0, tzinfo=UTC),
                MUMBAI: datetime(2031, 5, 9, 18, 30, tzinfo=UTC),
                LONDON: datetime(2031, 5, 9, 23, 0, tzinfo=UTC),
                NOWHERE: datetime(2031, 5, 9, 23, 0, tzinfo=UTC),  # no zone: the release's
                NEW_YORK: datetime(2031, 5, 10, 4, 0, tzinfo=UTC)}


@pytest.mark.parametrize("address", list(MIDNIGHT_UTC))
def test_local_mode_streams_from_the_visitors_midnight(client, make_release, address):
    path, _, out = make_release(LOCAL_DAY, mode="local")
    assert out == MIDNIGHT_UTC[LONDON]
    midnight = MIDNIGHT_UTC[address]
    with frozen(midnight - SECOND):
        before = text(get(client, path, address))
        assert get(client, path + "/go/spotify", address).status_code == 404
    assert "Stream Now" not in before and countdown_target(before) == midnight
    assert "Pre-Save on Spotify" in before  # the status is still "presave_active"
    with frozen(midnight):
        after = text(get(client, path, address))
        go = get(client, path + "/go/spotify", address)
    assert "Stream Now" in after and "data-countdown" not in after
    assert go.status_code == 302 and urlsplit(go.headers["Location"]).hostname == "open.spotify.com"


def test_local_mode_after_the_release_zone_counts_down_where_it_is_not_out(client,
                                                                         make_release):
    """Released in its own zone (status released), still ahead in New York: a countdown to
    New York's midnight and no pre-save form (pre-saves closed with the status)."""
    path, _, out = make_release(LOCAL_DAY, mode="local", status=RELEASED)
    with frozen(out + timedelta(hours=1)):
        new_york = text(get(client, path, NEW_YORK))
        tokyo = text(get(client, path, TOKYO))
    assert countdown_target(new_york) == MIDNIGHT_UTC[NEW_YORK]
    assert "Out at midnight where you are" in new_york and "<form" not in new_york
    assert "midnight in your time zone (Eastern Time), 10 May 2031" in new_york
    assert "Stream Now" not in new_york and "pill-due" in new_york
    assert "Stream Now" in tokyo
