"""EPs and albums, through the API, the fan page, the sandbox and a real RQ worker: a release
of kind EP or album is found by its UPC and saved as the album where the platform's library
takes albums (Spotify, Apple Music, Deezer, TIDAL), as its focus track elsewhere; an album
that lands hours late is saved once found; staff's album link wins over the look-up."""
import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from rq import SimpleWorker

from app.extensions import queue, redis_connection
from app.jobs.pre_add import QUEUE as PRE_ADD_QUEUE
from app.localtime import now_utc
from app.models import Release, StreamingLink
from app.platforms.errors import NotSupported
from app.sandbox import ids
from app.sandbox import state as sandbox
from app.validation import gtin_check_digit_ok
from tests.apple_fans import pre_add
from tests.platform_sandbox import authorise
from tests.release_day_runs import (age_retries, ctx, presave, reconcile_once, release_now, rows,
                                    run_release_day, sandbox_user)

STAFF = "staff@northwind.test"
ALBUM_PLATFORMS = ("spotify", "apple_music", "deezer")


def new_upc():
    """A UPC-A with a right check digit."""
    body = "".join(random.choice("0123456789") for _ in range(11))
    upc = next(body + d for d in "0123456789" if gtin_check_digit_ok(body + d))
    return upc


def new_isrc():
    """A well-formed ISRC of its own."""
    return "QZ" + "".join(random.choice("ABCDEFGHJK") for _ in range(3)) + "26" + \
        "".join(random.choice("0123456789") for _ in range(5))


def release_id_of(app, slug):
    with ctx(app) as session:
        return session.scalars(select(Release.id).where(Release.slug == slug)).one()


def make_ep(app, api, slug, upc, kind="ep"):
    client, headers = api(STAFF)
    answer = client.put(f"/api/v1/releases/{release_id_of(app, slug)}", headers=headers,
                        json={"kind": kind, "upc": upc})
    assert answer.status_code == 200, answer.get_json()
    assert (answer.get_json()["result"]["kind"], answer.get_json()["result"]["upc"]) == (kind, upc)
    return client, headers


def ep_on(platform, upc, tracks=3, **extra):
    """The EP in the sandbox's catalogue of ``platform``: its tracks, then the album; its id."""
    track_ids = [sandbox.add_catalog_item(platform, isrc=new_isrc(),
                                          id=ids.new_item_id(platform), title=f"Track {n}",
                                          artist="Aurora Vale")["id"]
                 for n in range(1, tracks + 1)]
    return sandbox.add_catalog_item(platform, upc=upc, id=ids.new_item_id(platform),
                                    title="Flow Song", artist="Aurora Vale", kind="album",
                                    tracks=track_ids, **extra)["id"]


def fans_of(app, release_id):
    """{platform: sandbox user} of the release's pre-savers (the last one of each)."""
    return {row.platform: sandbox_user(app, row) for row in rows(app, release_id)}


def test_an_ep_is_saved_as_the_album_by_spotify_apple_and_deezer_fans(
        app, active_release, over_http, api):
    slug, upc = active_release(), new_upc()
    client, headers = make_ep(app, api, slug, upc)
    albums = {platform: ep_on(platform, upc, storefront="us" if platform == "apple_music" else None)
              for platform in ALBUM_PLATFORMS}
    in_gb = ep_on("apple_music", upc, storefront="gb")  # Apple's ids differ per storefront
    presave(app, slug, "spotify")
    presave(app, slug, "deezer")
    apple_user, gb_user = pre_add(app, slug), pre_add(app, slug, "gb")
    label_id, release_id = release_now(app, slug)
    fans = {**fans_of(app, release_id), "apple_music": apple_user}
    run_release_day(app, label_id, release_id)

    for platform in ALBUM_PLATFORMS:
        assert sandbox.library(platform, fans[platform], "album") == [albums[platform]], platform
        assert sandbox.library(platform, fans[platform]) == [], platform  # no loose tracks
    assert sandbox.library("apple_music", gb_user, "album") == [in_gb]
    assert {(r.platform, r.state, r.saved_as) for r in rows(app, release_id)} == {
        (platform, "delivered", "album") for platform in ALBUM_PLATFORMS}
    ledger = client.get(f"/api/v1/releases/{release_id}/deliveries", headers=headers).get_json()
    assert {(e["platform"], e["saved_as"]) for e in ledger["fans"]["items"]} == {
        (platform, "album") for platform in ALBUM_PLATFORMS}
    links = client.get(f"/api/v1/releases/{release_id}/links", headers=headers).get_json()
    found = {link["platform"]: (link["item_id"], link["item_kind"], link["source"])
             for link in links["links"]}
    assert {p: found[p] for p in ALBUM_PLATFORMS} == {
        p: (albums[p], "album", "upc") for p in ALBUM_PLATFORMS}


def test_apple_pre_adds_an_album_on_pre_order_and_adds_it_at_release_otherwise(
        app, active_release, over_http, api):
    slug, upc = active_release(), new_upc()
    make_ep(app, api, slug, upc, kind="album")
    album = ep_on("apple_music", upc)  # the distributor set up a pre-order: listed already
    early = pre_add(app, slug)
    later_slug, later_upc = active_release(), new_upc()
    make_ep(app, api, later_slug, later_upc, kind="album")
    later = pre_add(app, later_slug)  # no pre-order: not in the catalogue before its release
    with app.app_context():
        SimpleWorker([queue(PRE_ADD_QUEUE)], connection=redis_connection()).work(burst=True)

    release_id = release_id_of(app, slug)
    (row,) = rows(app, release_id)
    assert (row.state, row.saved_as) == ("delivered", "pre_add")
    with ctx(app) as session:
        assert row.delivered_at < session.get(Release, release_id).release_at
    assert sandbox.library("apple_music", early, "album") == [album]
    later_id = release_id_of(app, later_slug)
    (waiting,) = rows(app, later_id)
    assert (waiting.state, waiting.saved_as) == ("pending", None)
    assert sandbox.library("apple_music", later, "album") == []

    label_id, _ = release_now(app, slug)
    run_release_day(app, label_id, release_id)  # release day leaves the pre-added row alone
    assert [(r.state, r.saved_as, r.attempts) for r in rows(app, release_id)] == [
        ("delivered", "pre_add", 1)]
    listed_late = ep_on("apple_music", later_upc)  # it appears at release: added then
    release_now(app, later_slug)
    run_release_day(app, label_id, later_id)
    assert [(r.state, r.saved_as) for r in rows(app, later_id)] == [("delivered", "album")]
    assert sandbox.library("apple_music", later, "album") == [listed_late]


def test_an_album_whose_upc_lands_hours_late_is_saved_once_found(
        app, active_release, over_http, api):
    slug, upc = active_release(), new_upc()
    make_ep(app, api, slug, upc, kind="album")
    presave(app, slug, "spotify")
    label_id, release_id = release_now(app, slug)
    run_release_day(app, label_id, release_id)  # the distributor's delivery has not landed
    (waiting,) = rows(app, release_id)
    assert (waiting.state, waiting.last_error, waiting.attempts) == (
        "pending", "not_on_platform_yet", 0)
    assert waiting.next_attempt_at > now_utc() + timedelta(minutes=10)

    album = ep_on("spotify", upc, tracks=12)  # three hours on, the album is there
    age_retries(app, release_id)
    reconcile_once(app)
    (saved,) = rows(app, release_id)
    assert (saved.state, saved.saved_as) == ("delivered", "album")
    assert sandbox.library("spotify", sandbox_user(app, saved), "album") == [album]


def test_staffs_album_link_overrides_the_look_up(app, active_release, over_http, api):
    slug, upc = active_release(), new_upc()
    client, headers = make_ep(app, api, slug, upc)
    found = ep_on("spotify", upc)  # what a look-up finds
    look_up(app, slug)
    assert links_of(app, release_id_of(app, slug))["spotify"] == (found, "album", "upc", False)
    chosen = ep_on("spotify", new_upc())  # the deluxe edition the label wants saved
    url = f"https://open.spotify.com/album/{chosen}"
    answer = client.put(f"/api/v1/releases/{release_id_of(app, slug)}/links/spotify",
                        headers=headers, json={"url": url})
    assert answer.status_code == 200, answer.get_json()  # replaced
    result = answer.get_json()["result"]
    assert (result["item_id"], result["item_kind"]) == (chosen, "album")
    presave(app, slug, "spotify")
    label_id, release_id = release_now(app, slug)
    run_release_day(app, label_id, release_id)
    (row,) = rows(app, release_id)
    assert (row.state, row.saved_as) == ("delivered", "album")
    assert sandbox.library("spotify", sandbox_user(app, row), "album") == [chosen]


def test_a_change_of_kind_forgets_the_item_looked_up_for_the_single(
        app, active_release, api):
    slug, upc = active_release(), new_upc()
    release_id = release_id_of(app, slug)
    with ctx(app) as session:
        release = session.get(Release, release_id)
        session.add(StreamingLink(release_id=release_id, label_id=release.label_id,
                                  artist_id=release.artist_id, platform="spotify",
                                  url="https://open.spotify.com/track/x", item_id="x",
                                  source="isrc"))
        release.links_checked_at = now_utc()
        session.commit()
    make_ep(app, api, slug, upc)
    with ctx(app) as session:
        assert session.scalars(select(StreamingLink).where(
            StreamingLink.release_id == release_id)).all() == []
        release = session.get(Release, release_id)
        assert release.links_next_check_at is not None  # the reconciler looks again now


@pytest.mark.parametrize("body, field, message", [
    ({"kind": "ep"}, "upc", "An EP needs its UPC"),
    ({"kind": "album", "upc": None}, "upc", "An Album needs its UPC"),
    ({"kind": "mixtape"}, "kind", "Kind is one of single, ep, album"),
])
def test_an_ep_or_album_without_a_upc_is_refused(app, active_release, api, body, field, message):
    slug = active_release()
    client, headers = api(STAFF)
    answer = client.put(f"/api/v1/releases/{release_id_of(app, slug)}", headers=headers,
                        json=body)
    assert answer.status_code == 422
    assert message in str(answer.get_json()["message"][field])
    with ctx(app) as session:
        release = session.scalars(select(Release).where(Release.slug == slug)).one()
        assert (release.kind, release.upc) == ("single", None)


def test_the_edit_form_asks_an_albums_upc(app, active_release, login):
    slug = active_release()
    release_id = release_id_of(app, slug)
    staff = login(STAFF)
    page = staff.get(f"/releases/edit/{release_id}")
    assert page.status_code == 200 and 'name="kind"' in page.get_data(as_text=True)
    form = {"title": "Flow Song", "kind": "album", "isrc": "", "upc": "",
            "platforms": ["spotify", "deezer"]}
    refused = staff.post(f"/releases/edit/{release_id}", data=form)
    assert refused.status_code == 422
    assert "An Album needs its UPC" in refused.get_data(as_text=True)
    upc = new_upc()
    saved = staff.post(f"/releases/edit/{release_id}", data={**form, "upc": upc})
    assert saved.status_code == 302
    shown = staff.get(f"/releases/show/{release_id}").get_data(as_text=True)
    assert 'class="release-kind">Album<' in shown and "Focus track ISRC" in shown
    without_type = {key: value for key, value in form.items() if key != "kind"}
    assert staff.post(f"/releases/edit/{release_id}",
                      data={**without_type, "upc": upc, "title": "Renamed"}).status_code == 302
    with ctx(app) as session:  # a post that names no type keeps the album an album
        assert (session.get(Release, release_id).kind, session.get(Release, release_id).title) == (
            "album", "Renamed")


def test_tidal_saves_albums_to_its_album_collection(app, sandbox):
    open_client, _ = sandbox
    tidal = open_client("tidal")
    user = ids.new_user_id("tidal")
    tokens = authorise(app, tidal, user)
    album = ep_on("tidal", new_upc())
    tidal.save_items(tokens.access_token, [album], "album")
    assert sandbox_library(app, "tidal", user) == ([album], [])


def sandbox_library(app, platform, user):
    with app.app_context():
        return sandbox.library(platform, user, "album"), sandbox.library(platform, user)


@pytest.mark.parametrize("platform", ["youtube_music", "amazon_music"])
def test_platforms_without_album_saves_refuse_an_album_plainly(app, sandbox, platform):
    open_client, _ = sandbox
    client = open_client(platform)
    with pytest.raises(NotSupported, match="saves tracks, not albums"):
        client.save_items("any-token", ["B0ALBUM001"], "album")


def test_youtube_and_amazon_fans_of_an_ep_need_its_focus_track(app, active_release, api):
    slug, upc = active_release(), new_upc()
    client, headers = make_ep(app, api, slug, upc)
    warnings = client.get(f"/api/v1/releases/{release_id_of(app, slug)}/deliveries",
                          headers=headers).get_json()["warnings"]
    focus = next(w for w in warnings if w["kind"] == "focus_track_missing")
    assert set(focus["platforms"]) == {"youtube_music", "amazon_music"}
    album = next(w for w in warnings if w["kind"] == "item_missing")
    assert "UPC " + upc in album["what_happens"]


def look_up(app, slug):
    """One run of the link job's look-up for the release, as the reconciler starts it."""
    from app.jobs.links import look
    with ctx(app) as session:
        look(session.scalars(select(Release).where(Release.slug == slug)).one())
        session.commit()


def links_of(app, release_id):
    with ctx(app) as session:
        return {row.platform: (row.item_id, row.item_kind, row.source, row.hidden)
                for row in session.scalars(select(StreamingLink).where(
                    StreamingLink.release_id == release_id))}


def spotify_fan_gets_the_album(app, slug, upc, isrc):
    """The EP lands on Spotify, a fan pre-saves, release day saves the album; the fan."""
    album = ep_on("spotify", upc)
    presave(app, slug, "spotify")
    label_id, release_id = release_now(app, slug, isrc=isrc)
    run_release_day(app, label_id, release_id)
    (row,) = rows(app, release_id)
    assert (row.state, row.saved_as) == ("delivered", "album")
    fan = sandbox_user(app, row)
    assert sandbox.library("spotify", fan, "album") == [album]
    return fan


def test_a_resolved_song_link_is_not_taken_for_the_album(
        app, active_release, over_http, api, monkeypatch):
    """Staff set the Amazon focus track by hand (as the release page asks); the resolver, seeded
    with it, answers songs: on Spotify that is a link, never the album to save."""
    slug, upc = active_release(), new_upc()
    client, headers = make_ep(app, api, slug, upc)
    release_id = release_id_of(app, slug)
    isrc = new_isrc()
    focus = {p: sandbox.add_catalog_item(p, isrc=isrc, id=ids.new_item_id(p), title="Flow Song",
                                         artist="Aurora Vale")["id"]
             for p in ("spotify", "amazon_music")}
    assert client.put(f"/api/v1/releases/{release_id}", headers=headers,
                      json={"isrc": isrc}).status_code == 200
    answer = client.put(f"/api/v1/releases/{release_id}/links/amazon_music", headers=headers,
                        json={"url": f"https://music.amazon.com/tracks/{focus['amazon_music']}"})
    assert answer.status_code == 201
    assert answer.get_json()["result"]["item_kind"] == "track"  # the focus track, saved there
    monkeypatch.setitem(app.config, "ODESLI_API_KEY", "test-key")
    monkeypatch.setitem(app.config, "ODESLI_API_URL",
                        app.config["PUBLIC_BASE_URL"] + "/sandbox/odesli/v1-alpha.1")
    look_up(app, slug)
    assert links_of(app, release_id)["spotify"] == (None, "album", "resolver", False)

    spotify_fan_gets_the_album(app, slug, upc, isrc)  # release day finds it by its UPC


def test_a_hidden_looked_up_link_loses_the_singles_track_when_it_becomes_an_ep(
        app, active_release, over_http, api):
    slug, upc = active_release(), new_upc()
    release_id = release_id_of(app, slug)
    isrc = new_isrc()
    single = sandbox.add_catalog_item("spotify", isrc=isrc, id=ids.new_item_id("spotify"),
                                      title="Flow Song", artist="Aurora Vale")["id"]
    client, headers = api(STAFF)
    assert client.put(f"/api/v1/releases/{release_id}", headers=headers,
                      json={"isrc": isrc}).status_code == 200
    look_up(app, slug)
    assert client.put(f"/api/v1/releases/{release_id}/links/spotify", headers=headers,
                      json={"hidden": True}).status_code == 200
    assert links_of(app, release_id)["spotify"] == (single, "track", "isrc", True)
    make_ep(app, api, slug, upc)
    assert links_of(app, release_id)["spotify"] == (None, "album", "isrc", True)  # still hidden

    fan = spotify_fan_gets_the_album(app, slug, upc, isrc)
    assert sandbox.library("spotify", fan) == []  # not the single's track


def test_apple_pre_adds_and_saves_the_album_staff_linked_in_every_storefront(
        app, active_release, over_http, api):
    slug, upc, deluxe_upc = active_release(), new_upc(), new_upc()
    client, headers = make_ep(app, api, slug, upc, kind="album")
    ep_on("apple_music", upc)  # the standard edition, which the UPC would find
    deluxe = {sf: ep_on("apple_music", deluxe_upc, storefront=sf) for sf in ("us", "gb")}
    answer = client.put(f"/api/v1/releases/{release_id_of(app, slug)}/links/apple_music",
                        headers=headers,
                        json={"url": f"https://music.apple.com/us/album/deluxe/{deluxe['us']}"})
    assert answer.status_code == 201 and answer.get_json()["result"]["item_kind"] == "album"
    in_us, in_gb = pre_add(app, slug), pre_add(app, slug, "gb")
    with app.app_context():
        SimpleWorker([queue(PRE_ADD_QUEUE)], connection=redis_connection()).work(burst=True)
    assert sandbox.library("apple_music", in_us, "album") == [deluxe["us"]]
    assert sandbox.library("apple_music", in_gb, "album") == [deluxe["gb"]]
    assert {(r.state, r.saved_as) for r in rows(app, release_id_of(app, slug))} == {
        ("delivered", "pre_add")}
