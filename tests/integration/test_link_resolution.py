"""Streaming links: found in the sandbox's catalogues by the link job (RQ SimpleWorker), set by
staff through the API, the clock driven through app.localtime.frozen."""
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from rq import SimpleWorker
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from app.releases import rules as release_rules
from app.cli.demo import register_in_sandbox
from app.extensions import db, queue, redis_connection
from app.jobs.items import platform_item
from app.jobs import schedule
from app.jobs.lifecycle import LIFECYCLE_QUEUE, reconcile
from app.jobs.links import LINKS_QUEUE, resolve_links
from app.localtime import frozen
from app.models import Artist, Label, Release
from app.models.release import DRAFT, RELEASED
from app.sandbox import odesli as odesli_stand_in, state as sandbox
from app.tenants.context import Scope, scoped
from tests.lifecycle import T0 as LIFECYCLE_NOW
from tests.lifecycle import announced, in_scope, work

UTC = timezone.utc
T0 = datetime(2027, 4, 9, 0, 0, tzinfo=UTC)  # the release instant in these tests
ARTIST = "Lumen Fields"
STAFF = "staff@northwind.test"
CODE_PLATFORMS = ("spotify", "apple_music", "deezer", "tidal")


@pytest.fixture(scope="module")
def artist_id(app):
    """An artist of Northwind (so its staff manage it) that only this module uses."""
    with app.app_context(), scoped(Scope.platform("test")):
        label = db.session.scalars(select(Label).where(Label.slug == "northwind")).one()
        artist = Artist(label_id=label.id, name=ARTIST, slug=f"lumen-{uuid.uuid4().hex[:8]}",
                        timezone="UTC")
        db.session.add(artist)
        db.session.commit()
        return artist.id


@pytest.fixture(autouse=True)
def links_queue(app):
    """Only this test's look-ups run (other modules' reconcilers may have left some)."""
    with app.app_context():
        queue(LINKS_QUEUE).empty()
    yield


def new_code():
    return "QZ" + uuid.uuid4().hex[:10].upper()


def new_upc():
    body = str(uuid.uuid4().int)[:11]
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def new_release(app, artist_id, *, isrc=None, upc=None, platforms=("spotify",), status=RELEASED,
                title="Glass Harbour"):
    with in_scope(app) as session:
        artist = session.get(Artist, artist_id)
        release = Release(artist=artist, label_id=artist.label_id, title=title,
                          slug=f"glass-{uuid.uuid4().hex[:8]}", isrc=isrc, upc=upc,
                          platforms=list(platforms), status=DRAFT)
        release_rules.schedule(release, (T0 - timedelta(days=7)).replace(tzinfo=None),
                               T0.replace(tzinfo=None), "UTC", must_be_future=False)
        release.status = status
        session.add(release)
        session.commit()
        return release.id


def add(app, platform, **item):
    with app.app_context():
        return sandbox.add_catalog_item(platform, **{"artist": ARTIST, "title": "Glass Harbour",
                                                     **item})


def look_up(app, release_id, at=T0):
    """The link job, as a worker runs it, at ``at``."""
    with in_scope(app) as session:
        label_id = session.get(Release, release_id).label_id
    with frozen(at), app.app_context():
        queue(LINKS_QUEUE).enqueue(resolve_links, label_id, release_id)
        SimpleWorker([queue(LINKS_QUEUE)], connection=redis_connection()).work(burst=True)


def api_links(api, release_id, email=STAFF, at=T0):
    client, headers = api(email)
    with frozen(at):
        response = client.get(f"/api/v1/releases/{release_id}/links", headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return {link["platform"]: link for link in body["links"]}, body["checks"]


def test_found_by_isrc_on_each_code_search_and_by_verified_search_on_youtube(app, api, artist_id):
    isrc = new_code()
    items = {p: add(app, p, isrc=isrc) for p in (*CODE_PLATFORMS, "youtube_music")}
    add(app, "youtube_music", isrc=new_code(), title="Glass Harbour (Karaoke Version)")
    release_id = new_release(app, artist_id, isrc=isrc,
                             platforms=(*CODE_PLATFORMS, "youtube_music", "amazon_music"))
    look_up(app, release_id)
    links, checks = api_links(api, release_id)
    assert {p: links[p]["source"] for p in links} == {
        "spotify": "isrc", "apple_music": "isrc", "deezer": "isrc", "tidal": "isrc",
        "youtube_music": "search"}
    for platform, item in items.items():
        assert links[platform]["item_id"] == item["id"]
        assert item["id"] in links[platform]["url"]
    assert links["spotify"]["url"] == f"https://open.spotify.com/track/{items['spotify']['id']}"
    assert links["youtube_music"]["why"] == f"the only match for “{ARTIST} – Glass Harbour”"
    assert checks["missing"] == ["amazon_music"]  # no code search, no resolver configured
    assert checks["attempts"] == 1


def test_found_by_upc_as_album_links(app, api, artist_id):
    upc = new_upc()
    albums = {p: add(app, p, upc=upc, kind="album") for p in CODE_PLATFORMS}
    release_id = new_release(app, artist_id, upc=upc, platforms=CODE_PLATFORMS)
    look_up(app, release_id)
    links, checks = api_links(api, release_id)
    assert {p: (links[p]["source"], links[p]["item_id"]) for p in links} == {
        p: ("upc", None) for p in CODE_PLATFORMS}  # an album is a link, not what pre-saves save
    assert links["deezer"]["url"] == f"https://www.deezer.com/album/{albums['deezer']['id']}"
    assert links["apple_music"]["url"].endswith(f"/album/{albums['apple_music']['id']}")
    assert checks["missing"] == []


def test_several_matches_are_chosen_the_same_way_whatever_their_order(app, api, artist_id):
    chosen = {}
    for order in (1, -1):
        isrc = new_code()
        candidates = [  # (label, fields)
            ("compilation", {"artist": "Various Artists", "compilation": True,
                             "release_date": "2026-01-01"}),
            ("other artist", {"artist": "Somebody Else", "release_date": "2026-02-01"}),
            ("later", {"release_date": "2027-04-09"}),
            ("earliest", {"release_date": "2027-03-01"}),
        ][::order]
        found = {}
        for platform in ("spotify", "apple_music", "tidal"):
            for name, fields in candidates:
                found[(platform, name)] = add(app, platform, isrc=isrc, **fields)["id"]
        release_id = new_release(app, artist_id, isrc=isrc,
                                 platforms=("spotify", "apple_music", "tidal"))
        look_up(app, release_id)
        links, _ = api_links(api, release_id)
        for platform in ("spotify", "apple_music", "tidal"):
            assert links[platform]["item_id"] == found[(platform, "earliest")], platform
            chosen[(platform, order)] = links[platform]["why"]
    why = chosen[("spotify", 1)]
    assert why.startswith("4 matches for ISRC ")
    assert "same artist, not a compilation, earliest release (2027-03-01)" in why
    assert "same artist, not a compilation" in chosen[("apple_music", -1)]
    assert "same artist" in chosen[("tidal", -1)]


def test_not_found_at_release_then_found_on_a_later_look(app, api, artist_id):
    isrc = new_code()
    release_id = new_release(app, artist_id, isrc=isrc, platforms=("spotify", "deezer"))
    add(app, "deezer", isrc=isrc)
    # The distributor's delivery to Spotify lands three minutes after the release.
    spotify = add(app, "spotify", isrc=isrc, available_at=T0 + timedelta(minutes=3))
    look_up(app, release_id, T0)
    links, checks = api_links(api, release_id, at=T0)
    assert set(links) == {"deezer"} and checks["missing"] == ["spotify"]
    retry = T0 + timedelta(minutes=5)
    assert checks["next_check_at"] == retry.isoformat()
    with app.app_context():
        registry = ScheduledJobRegistry(queue=queue(LINKS_QUEUE))
        job_id = schedule.links_id(release_id, retry)
        assert registry.get_scheduled_time(job_id) == retry
        registry.remove(job_id, delete_job=True)  # run by hand below, under the frozen clock
    look_up(app, release_id, retry)
    links, checks = api_links(api, release_id, at=retry)
    assert links["spotify"]["item_id"] == spotify["id"]
    assert checks["missing"] == [] and checks["next_check_at"] is None
    assert checks["attempts"] == 2


def test_after_72_hours_it_gives_up_and_tells_staff(app, api, login, artist_id):
    isrc = new_code()
    release_id = new_release(app, artist_id, isrc=isrc, platforms=("spotify", "tidal"))
    add(app, "tidal", isrc=isrc)
    hour_later = T0 + timedelta(hours=1)
    look_up(app, release_id, hour_later)
    client, headers = api(STAFF)
    with frozen(hour_later):
        notices = client.get(f"/api/v1/releases/{release_id}/deliveries",
                             headers=headers).get_json()["warnings"]
    assert [(n["kind"], n["platforms"]) for n in notices] == [("links_missing", ["spotify"])]
    assert "again at 09 Apr 2027 02:00 UTC" in notices[0]["what_happens"]
    end = T0 + timedelta(hours=72)
    look_up(app, release_id, end)
    _, checks = api_links(api, release_id, at=end)
    assert checks["gave_up_at"] == end.isoformat() and checks["next_check_at"] is None
    with frozen(end + timedelta(days=1)):
        notices = client.get(f"/api/v1/releases/{release_id}/deliveries",
                             headers=headers).get_json()["warnings"]
        page = login(STAFF).get(f"/releases/show/{release_id}").get_data(as_text=True)
    assert [(n["kind"], n["platforms"]) for n in notices] == [("links_gave_up", ["spotify"])]
    assert "Gave up on Spotify after 72 h" in page
    assert "Set the link by hand" in page


def test_a_link_set_by_staff_is_kept_over_what_the_job_finds(app, api, artist_id):
    isrc = new_code()
    add(app, "spotify", isrc=isrc)
    deezer = add(app, "deezer", isrc=isrc)
    release_id = new_release(app, artist_id, isrc=isrc, platforms=("spotify", "deezer"))
    client, headers = api(STAFF)
    manual = "https://open.spotify.com/track/0Jcij1eWd5bDMU5iPbxe2i"
    response = client.put(f"/api/v1/releases/{release_id}/links/spotify", headers=headers,
                          json={"url": manual})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["result"]["item_id"] == "0Jcij1eWd5bDMU5iPbxe2i"
    look_up(app, release_id)
    hidden = client.post(f"/api/v1/releases/{release_id}/links", headers=headers,
                         json={"platform": "deezer", "hidden": True})
    assert hidden.status_code == 200 and hidden.get_json()["result"]["hidden"] is True
    look_up(app, release_id, T0 + timedelta(minutes=5))
    links, checks = api_links(api, release_id)
    assert (links["spotify"]["url"], links["spotify"]["source"]) == (manual, "manual")
    assert links["deezer"]["hidden"] is True and links["deezer"]["item_id"] == deezer["id"]
    assert checks["missing"] == []


def test_the_external_resolver_is_asked_only_when_configured(app, api, artist_id, monkeypatch):
    isrc = new_code()
    for platform in ("spotify", "amazon_music", "soundcloud", "pandora"):
        add(app, platform, isrc=isrc)
    release_id = new_release(app, artist_id, isrc=isrc, platforms=("spotify", "amazon_music"))
    with app.app_context():
        before = odesli_stand_in.calls()
    look_up(app, release_id)
    links, checks = api_links(api, release_id)
    with app.app_context():
        assert odesli_stand_in.calls() == before  # off: no key
    assert set(links) == {"spotify"} and checks["missing"] == ["amazon_music"]
    monkeypatch.setitem(app.config, "ODESLI_API_KEY", "test-key")
    monkeypatch.setitem(app.config, "ODESLI_API_URL",
                        app.config["PUBLIC_BASE_URL"] + "/sandbox/odesli/v1-alpha.1")
    look_up(app, release_id, T0 + timedelta(minutes=5))
    links, checks = api_links(api, release_id)
    with app.app_context():
        assert odesli_stand_in.calls() == before + 1
    assert {p: links[p]["source"] for p in links} == {
        "spotify": "isrc", "amazon_music": "resolver", "soundcloud": "resolver",
        "pandora": "resolver"}
    assert links["amazon_music"]["url"].startswith("https://music.amazon.com/tracks/")
    assert links["soundcloud"]["why"] == "Odesli, from the Spotify link"
    assert checks["missing"] == []


@pytest.mark.parametrize("method, path, body, status, message", [
    ("put", "links/spotify", {"url": "http://open.spotify.com/track/x"}, 422, "https://"),
    ("put", "links/spotify", {"url": "https://evil.example/track/x"}, 422, "open.spotify.com"),
    ("put", "links/spotify", {"url": "https://open.spotify.com.evil.example/x"}, 422,
     "not open.spotify.com.evil.example"),
    ("put", "links/spotify", {"url": 12}, 422, "Not a valid string"),
    ("put", "links/spotify", {}, 422, "Give the url"),
    ("put", "links/spotify", {"hidden": True}, 422, "no Spotify link yet"),
    ("put", "links/myspace", {"url": "https://myspace.com/x"}, 404, "Unknown platform"),
    ("post", "links", {"url": "https://open.spotify.com/track/x"}, 422, "Name the platform"),
    ("post", "links", {"platform": "myspace", "url": "https://x.test"}, 422, "Unknown platform"),
    ("post", "links", ["not", "an", "object"], 422, "JSON object"),
    ("delete", "links/deezer", None, 404, "No Deezer link"),
])
def test_bad_link_input_gets_a_clear_4xx(app, api, artist_id, method, path, body, status, message):
    release_id = new_release(app, artist_id, isrc=new_code())
    client, headers = api(STAFF)
    response = getattr(client, method)(f"/api/v1/releases/{release_id}/{path}", headers=headers,
                                       json=body)
    assert response.status_code == status
    assert message in str(response.get_json())


def test_links_are_the_labels_own_and_artists_only_read(app, api, artist_id):
    release_id = new_release(app, artist_id, isrc=new_code())
    client, headers = api(STAFF)
    url = "https://music.apple.com/us/album/glass-harbour/1440000000?i=1440000001"
    assert client.post(f"/api/v1/releases/{release_id}/links", headers=headers,
                       json={"platform": "apple_music", "url": url}).status_code == 201
    other, other_headers = api("staff@harbor.test")
    assert other.get(f"/api/v1/releases/{release_id}/links",
                     headers=other_headers).status_code == 404
    assert other.put(f"/api/v1/releases/{release_id}/links/spotify", headers=other_headers,
                     json={"url": "https://open.spotify.com/track/x"}).status_code == 404
    links, _ = api_links(api, release_id)
    assert links["apple_music"]["item_id"] == "1440000001"
    removed = client.delete(f"/api/v1/releases/{release_id}/links/apple_music", headers=headers)
    assert removed.status_code == 200 and removed.get_json()["links"] == []


def test_staff_set_hide_and_remove_links_on_the_release_page(app, login, artist_id):
    release_id = new_release(app, artist_id, isrc=new_code(), platforms=("spotify", "deezer"))
    staff = login(STAFF)
    bad = staff.post(f"/releases/{release_id}/links",
                     data={"platform": "deezer", "url": "https://www.spotify.com/track/1"})
    assert bad.status_code == 422
    assert "A Deezer link must point to deezer.com" in bad.get_data(as_text=True)
    good = staff.post(f"/releases/{release_id}/links", data={
        "platform": "bandcamp", "url": "https://lumen.bandcamp.com/track/glass"})
    assert good.status_code == 302
    staff.post(f"/releases/{release_id}/links/bandcamp/hide")
    page = staff.get(f"/releases/show/{release_id}").get_data(as_text=True)
    assert "https://lumen.bandcamp.com/track/glass" in page and "hidden" in page
    assert 'data-source="manual"' in page and page.count("Not found yet") == 2
    staff.post(f"/releases/{release_id}/links/bandcamp/remove")
    page = staff.get(f"/releases/show/{release_id}").get_data(as_text=True)
    links = page.split('id="streaming-links"', 1)[1].split("</section>", 1)[0]
    assert "lumen.bandcamp.com" not in links  # the History below still tells it was removed


def test_cli_resolve_links_prints_each_platform_for_a_demo_release(app):
    with in_scope(app) as session:
        register_in_sandbox(echo=lambda *_: None)  # again: another test may have reset it
        release = session.scalars(select(Release).join(Release.artist).where(
            Artist.slug == "marlow-shore", Release.slug == "out-now")).one()
        release_id = release.id
        for link in release.links:  # the demo's release day found them; look again from nothing
            session.delete(link)
        session.commit()
    result = app.test_cli_runner().invoke(args=["release", "resolve-links", str(release_id)])
    assert result.exit_code == 0, result.output
    rows = {cells[0]: cells[1:] for cells in
            (re.split(r"\s{2,}", line) for line in result.output.splitlines())}
    for name in ("Spotify", "Apple Music", "Deezer", "TIDAL"):
        assert rows[name][:2] == ["found", "isrc"], rows[name]
    assert rows["YouTube Music"][:2] == ["found", "search"]
    assert rows["Amazon Music"][0] == "not found"
    assert "Look-ups so far: " in result.output
    missing = app.test_cli_runner().invoke(args=["release", "resolve-links", "999999999"])
    assert missing.exit_code != 0 and "No release with id 999999999" in missing.output


def test_the_lifecycle_looks_at_open_and_at_release_and_the_reconciler_catches_up(app, studio):
    opens = datetime(2027, 3, 3, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
    out = datetime(2027, 3, 9, 23, 0, tzinfo=UTC)  # 2027-03-10 00:00 in Berlin
    with frozen(LIFECYCLE_NOW), in_scope(app):
        release_id = announced(studio, "2027-03-03T10:00", "2027-03-10").id

    def reconcile_at(at):
        with frozen(at), in_scope(app):
            queue(LIFECYCLE_QUEUE).enqueue(reconcile, studio[0])  # as `rq cron` each minute
            work()
            return queue(LINKS_QUEUE).job_ids

    def links_worker_at(at):
        with frozen(at), in_scope(app) as session:
            SimpleWorker([queue(LINKS_QUEUE)], connection=redis_connection()).work(burst=True)
            return session.get(Release, release_id)

    opened = opens + timedelta(seconds=30)
    assert schedule.links_id(release_id, opened) in reconcile_at(opened)
    release = links_worker_at(opened)
    assert (release.links_attempts, release.links_next_check_at) == (1, out)
    with app.app_context():
        registry = ScheduledJobRegistry(queue=queue(LINKS_QUEUE))
        assert registry.get_scheduled_time(schedule.links_id(release_id, out)) == out
        registry.remove(schedule.links_id(release_id, out), delete_job=True)  # Redis lost it
    with in_scope(app) as session:  # a look-up planned for a day later, overdue by 2 minutes
        session.get(Release, release_id).links_next_check_at = opens + timedelta(days=1)
        session.commit()
    later = opens + timedelta(days=1, minutes=2)
    bucket = int(later.timestamp() // 60)
    assert f"release-{release_id}-links-due-{bucket}" in reconcile_at(later)
    assert links_worker_at(later).links_attempts == 2
    released = out + timedelta(seconds=30)
    assert schedule.links_id(release_id, released) in reconcile_at(released)
    release = links_worker_at(released)
    assert (release.status, release.links_attempts) == (RELEASED, 3)
    assert release.links_next_check_at == out + timedelta(minutes=5)
    with app.app_context():
        Job.fetch(schedule.release_day_id(release_id), connection=redis_connection()).delete()
        ScheduledJobRegistry(queue=queue(LINKS_QUEUE)).remove(
            schedule.links_id(release_id, out + timedelta(minutes=5)), delete_job=True)


def test_the_sandbox_lists_an_item_from_its_available_at_on(client):
    isrc = new_code()
    added = client.post("/sandbox/_admin/deezer/catalog", json={
        "isrc": isrc, "title": "Later", "available_at": "2027-04-09T00:03:00+00:00"})
    assert added.status_code == 201
    path = f"/sandbox/deezer/api/track/isrc:{isrc}"
    with frozen(T0):
        assert client.get(path).get_json()["error"]["code"] == 800  # Deezer's "no data"
    with frozen(T0 + timedelta(minutes=3)):
        assert client.get(path).get_json()["title"] == "Later"
    refused = client.post("/sandbox/_admin/deezer/catalog", json={
        "isrc": isrc, "available_at": "2027-04-09 00:03"})
    assert refused.status_code == 400 and "UTC offset" in refused.get_json()["error"]


def test_release_day_saves_the_item_the_link_job_would_choose(app, api, artist_id):
    """One look-up path: release day's item (app.jobs.items) is the link job's choice, and a
    staff link naming no track keeps its URL but gets the track to save."""
    isrc = new_code()
    add(app, "spotify", isrc=isrc, artist="Various Artists", compilation=True,
        release_date="2026-01-01")
    single = add(app, "spotify", isrc=isrc, release_date="2027-04-09")
    deezer = add(app, "deezer", isrc=isrc)
    release_id = new_release(app, artist_id, isrc=isrc, platforms=("spotify", "deezer"))
    client, headers = api(STAFF)
    album_link = "https://www.deezer.com/album/302127"
    assert client.put(f"/api/v1/releases/{release_id}/links/deezer", headers=headers,
                      json={"url": album_link}).status_code == 201
    with frozen(T0), in_scope(app) as session:
        release = session.get(Release, release_id)
        assert platform_item(release, "spotify").id == single["id"]
        assert platform_item(release, "deezer").id == deezer["id"]
        session.commit()
    links, _ = api_links(api, release_id)
    assert links["spotify"]["why"].startswith("2 matches for ISRC")
    assert (links["deezer"]["url"], links["deezer"]["source"]) == (album_link, "manual")
