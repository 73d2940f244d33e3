"""The switch to Stream Now in a real browser. A release of a demo artist, its links found in
the sandbox by the link resolver, passes its release instant by the served app's clock; the
same page, reloaded, shows Stream Now buttons that lead through the tracked /go/ redirect to
those links. Nothing leaves the machine: the 302s are read with the request API and the one
real click lands on a stand-in served by page.route."""
import json
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.releases import rules as release_rules, links as streaming_links
from app.analytics.capture import STREAM
from app.extensions import db, redis_connection
from app.models import Artist, Release, StreamingLink
from app.models.release import PRESAVE_ACTIVE
from app.sandbox import state as sandbox
from app.tenants.context import Scope, scoped
from tests.e2e.screens import shoot

ARTIST = "aurora-vale"
FOUND = ("spotify", "apple_music", "deezer")  # in the sandbox's catalogue; tidal is not
CHROME = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/126.0.0.0 Mobile Safari/537.36")  # headless Chromium's own agent is a bot's
SCREENS = Path("/tmp/presave-screens")


@pytest.fixture
def demo_release(app):
    """(page path, release id, release instant) of a pre-save-active release of the demo artist,
    its links resolved from the sandbox's catalogue by ISRC."""
    tag = uuid.uuid4().hex[:5].upper()
    with app.app_context(), scoped(Scope.platform("test")):
        artist = db.session.scalars(select(Artist).where(Artist.slug == ARTIST)).one()
        release = Release(artist=artist, label_id=artist.label_id, title=f"Tide Lines {tag}",
                          slug=f"tide-lines-{tag.lower()}", isrc=f"GBAYE31{int(tag, 16) % 100000:05d}",
                          platforms=[*FOUND, "tidal"], status="draft")
        out = datetime(2031, 5, 10)
        release_rules.schedule(release, out - timedelta(days=20), out, "Europe/London",
                               must_be_future=False)
        db.session.add(release)
        release_rules.record(release, PRESAVE_ACTIVE, "test")
        for platform in FOUND:
            sandbox.add_catalog_item(platform, isrc=release.isrc, title=release.title,
                                     artist=artist.name, release_date="2031-05-10")
        db.session.flush()
        streaming_links.resolve(release)
        db.session.commit()
        return f"/s/{ARTIST}/{release.slug}", release.id, release.release_at


def stored_links(app, release_id):
    with app.app_context(), scoped(Scope.platform("test")):
        rows = db.session.scalars(select(StreamingLink).where(
            StreamingLink.release_id == release_id)).all()
        return {row.platform: row.url for row in rows}


def stream_clicks(app, release_id):
    """[platform] of the stream clicks waiting in the event stream for the release."""
    with app.app_context():
        entries = redis_connection().xrange(STREAM)
    events = [json.loads(fields[b"e"]) for _, fields in entries]
    return sorted(e["platform"] for e in events
                  if e["kind"] == "stream_click" and e["release_id"] == release_id)


def stand_in_for_other_sites(page, base):
    """Every request to another site gets a small page of ours instead; returns the pages the
    tab was sent to there."""
    left = []

    def handle(route):
        if route.request.url.startswith(base):
            route.continue_()
        else:
            if route.request.is_navigation_request():
                left.append(route.request.url)
            route.fulfill(status=200, content_type="text/html",
                          body="<!doctype html><title>Elsewhere</title><h1>Elsewhere</h1>")
    page.context.route("**/*", handle)
    return left


def test_the_page_switches_to_stream_now_and_buttons_go_through_the_redirect(
        app, open_page, clock_server, demo_release):
    base, clock = clock_server
    path, release_id, out = demo_release
    links = stored_links(app, release_id)
    assert sorted(links) == sorted(FOUND)
    assert all(re.match(r"https://[a-z.]+/", url) for url in links.values()), links

    page = open_page("phone", user_agent=CHROME)
    left = stand_in_for_other_sites(page, base)
    clock.at = out - timedelta(hours=1)
    try:
        assert page.goto(base + path).status == 200
        expect(page.get_by_role("button", name="Pre-Save on Spotify")).to_be_visible()
        expect(page.locator(".countdown")).to_be_visible()
        expect(page.get_by_text("Stream Now")).to_have_count(0)
        assert page.request.get(f"{base}{path}/go/spotify", max_redirects=0).status == 404

        clock.at = out + timedelta(seconds=1)  # past the instant; the status is still stored
        page.reload()                          # as "presave_active": no job has run
        expect(page.locator(".cta")).to_have_text("Stream Now")
        expect(page.locator(".countdown")).to_have_count(0)
        buttons = page.locator(".stream-buttons a.pbtn")
        expect(buttons).to_have_count(4)
        assert [b.get_attribute("aria-label") for b in buttons.all()] == [
            "Listen on Spotify", "Listen on Apple Music", "Listen on Deezer", "Search on TIDAL"]
        shoot(page, "stream-now-phone", SCREENS)

        hrefs = {b.get_attribute("data-platform"): b.get_attribute("href")
                 for b in buttons.all()}
        assert hrefs == {p: f"{path}/go/{p}" for p in (*FOUND, "tidal")}
        for platform, href in hrefs.items():
            answer = page.request.get(base + href, max_redirects=0)
            assert answer.status == 302, (platform, answer.status)
            expected = links.get(platform) or "https://listen.tidal.com/search?q=Aurora+Vale+" \
                + "+".join(page.locator("h1.title").inner_text().split())
            assert answer.headers["location"] == expected
            assert answer.headers["cache-control"] == "private, no-store"

        page.get_by_role("link", name="Listen on Spotify").click()
        page.wait_for_url(links["spotify"])
        expect(page.get_by_role("heading", name="Elsewhere")).to_be_visible()
        assert left == [links["spotify"]]  # straight from /go/ to the link, nowhere else
    finally:
        clock.at = None
    # Spotify was followed twice by this browser on one day: it counts once.
    assert stream_clicks(app, release_id) == sorted([*FOUND, "tidal"])


def test_a_countdown_left_open_turns_into_stream_now_by_itself(app, open_page, clock_server,
                                                               demo_release):
    """The countdown runs on the server's clock (here years from the browser's) and reloads the
    page when it runs out; the page then shows Stream Now."""
    base, clock = clock_server
    path, _, out = demo_release
    page = open_page("phone", user_agent=CHROME)
    stand_in_for_other_sites(page, base)
    clock.at = out - timedelta(seconds=2)
    try:
        page.goto(base + path)
        expect(page.locator(".countdown-heading")).to_have_text("Out in")
        expect(page.locator('.countdown [data-unit="sec"]')).to_have_text(re.compile(r"0[012]"))
        clock.at = out  # what the server answers from now on; the page is not asked again
        expect(page.locator(".cta")).to_have_text("Stream Now", timeout=15_000)
        expect(page.locator(".stream-buttons a.pbtn").first).to_have_accessible_name(
            "Listen on Spotify")
    finally:
        clock.at = None
