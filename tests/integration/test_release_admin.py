"""The staff Releases admin through HTTP: create, validate, show, act, and who may do what."""
import io
import re
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from markupsafe import escape
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.localtime import now_utc
from app.models import Artist, Release
from app.tenants.context import Scope, scoped
from tests.images import png_claiming

YEAR = now_utc().year + 1  # every date below is in the future, whenever the suite runs
STAFF, ARTIST_USER, HARBOR = "staff@northwind.test", "artist@northwind.test", "staff@harbor.test"


def png(size=800, kind="PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (200, 40, 90)).save(buffer, kind)
    return buffer.getvalue()


def last_sunday(year, month):
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def first_sunday_from(day):
    return day + timedelta(days=(6 - day.weekday()) % 7)


@pytest.fixture(scope="module")
def artist_ids(app):
    with app.app_context(), scoped(Scope.platform("test")):
        return {a.slug: a.id for a in db.session.scalars(select(Artist))}


@pytest.fixture
def staff(login):
    return login(STAFF)


def form_data(artist_id, title, artwork=None, **overrides):
    data = {"artist_id": str(artist_id), "title": title, "slug": "", "isrc": "US-RC1-26-00001",
            "upc": "012345678905", "presave_opens_local": f"{YEAR}-02-01T10:00",
            "release_date": f"{YEAR}-03-01", "release_time": "00:00", "timezone": "Europe/Berlin",
            "release_mode": "global", "platforms": ["spotify", "apple_music"], "action": "draft"}
    if isinstance(artwork, bytes):
        artwork = (io.BytesIO(artwork), "cover.png")
    if artwork is not None:
        data["artwork"] = artwork
    data.update(overrides)
    return data


def post_create(client, data):
    return client.post("/releases/add", data=data, content_type="multipart/form-data")


def stored(app, title):
    """What the database holds for releases with this title, read outside any request."""
    with app.app_context(), scoped(Scope.platform("test")):
        rows = db.session.scalars(select(Release).where(Release.title == title)).all()
        return [{"id": r.id, "status": r.status, "slug": r.slug, "isrc": r.isrc, "upc": r.upc,
                 "artwork": r.artwork, "platforms": r.platforms, "timezone": r.timezone,
                 "release_local": r.release_local, "presave_opens_local": r.presave_opens_local,
                 "release_at": r.release_at.isoformat(),
                 "presave_opens_at": r.presave_opens_at.isoformat(),
                 "timing_notes": r.timing_notes, "release_mode": r.release_mode,
                 "history": [(h.from_status, h.to_status, h.actor) for h in r.history]}
                for r in rows]


def create(app, client, artist_id, title, **overrides):
    response = post_create(client, form_data(artist_id, title, **overrides))
    assert response.status_code == 302, response.text
    (row,) = stored(app, title)
    return row


def field_group(html, name):
    """The markup of one form group, where its inline messages are."""
    match = re.search(rf'data-field="{name}".*?(?=data-field="|</form>)', html, re.S)
    assert match, f"no field {name} on the page"
    return match.group(0)


# Create --------------------------------------------------------------------------------------

def test_create_page_offers_the_labels_artists_and_defaults(staff):
    html = staff.get("/releases/add").text
    assert "Aurora Vale" in html and "Juniper Kites" in html
    assert "Marlow Shore" not in html and "Neon Tide" not in html
    assert 'data-tz="Europe/London"' in html
    assert re.search(r'<option selected value="Europe/London"|<option value="Europe/London" selected',
                     html)
    assert re.search(r'value="spotify"\s+checked', html) and re.search(r'value="apple_music"\s+checked', html)
    assert not re.search(r'value="deezer"\s+checked', html)
    assert "Save as draft" in html and "Create &amp; announce" in html


def test_create_as_draft_derives_utc_from_local_time_and_zone(app, staff, artist_ids, unique):
    title = unique("Draft Song")
    response = post_create(staff, form_data(artist_ids["juniper-kites"], title, artwork=png()))
    assert response.status_code == 302
    (row,) = stored(app, title)
    assert response.headers["Location"].endswith(f"/releases/show/{row['id']}")
    assert row["status"] == "draft"
    assert row["release_at"] == f"{YEAR}-02-28T23:00:00+00:00"
    assert row["presave_opens_at"] == f"{YEAR}-02-01T09:00:00+00:00"
    assert row["slug"] == title.lower().replace(" ", "-")
    assert (row["isrc"], row["upc"]) == ("USRC12600001", "012345678905")
    assert row["artwork"].endswith(".png") and row["platforms"] == ["spotify", "apple_music"]
    assert row["history"] == [(None, "draft", STAFF)]


def test_create_and_announce(app, staff, artist_ids, unique):
    title = unique("Announced Song")
    row = create(app, staff, artist_ids["juniper-kites"], title, action="announce",
                 timezone="America/New_York", release_mode="local",
                 platforms=["tidal", "deezer", "spotify"])
    assert row["status"] == "announced"
    assert row["release_at"] == f"{YEAR}-03-01T05:00:00+00:00"
    assert row["release_mode"] == "local"
    assert row["platforms"] == ["spotify", "tidal", "deezer"]
    assert row["history"] == [(None, "draft", STAFF), ("draft", "announced", STAFF)]


@pytest.mark.parametrize("zone, day, asked, moved_to, utc", [
    ("Europe/Berlin", last_sunday(YEAR, 3), "02:30", "03:00", "01:00"),
    ("America/Santiago", first_sunday_from(date(YEAR, 9, 2)), "00:00", "01:00", "04:00"),
])
def test_dst_gap_moves_forward_and_is_shown(app, staff, artist_ids, unique, zone, day, asked,
                                            moved_to, utc):
    title = unique("Gap Song")
    row = create(app, staff, artist_ids["juniper-kites"], title, timezone=zone,
                 release_date=day.isoformat(), release_time=asked,
                 presave_opens_local=f"{day - timedelta(days=10)}T12:00")
    assert row["release_local"].strftime("%H:%M") == moved_to
    assert row["release_at"] == f"{day.isoformat()}T{utc}:00+00:00"
    assert "does not exist" in row["timing_notes"]
    html = staff.get(f"/releases/show/{row['id']}").text
    assert re.search(r'alert-warning timing-notes.*?does not exist in ' + zone, html, re.S)


# Validation: every rule answers 422, next to its field, keeps the input, stores nothing -------

def big_file():
    return b"\x89PNG\r\n\x1a\n" + b"0" * (10 * 1024 * 1024)


INVALID = [
    ("isrc", {"isrc": "US-RC1-26-0001"}, "ISRC must look like CC-XXX-YY-NNNNN"),
    ("upc", {"upc": "012345678906"}, "UPC/EAN check digit is wrong"),
    ("upc", {"upc": "12345"}, "UPC/EAN must be 12 or 13 digits"),
    ("presave_opens_local", {"presave_opens_local": f"{YEAR}-03-02T00:00"},
     "The pre-save must open before the release"),
    ("release_date", {"release_date": f"{YEAR - 3}-03-01",
                      "presave_opens_local": f"{YEAR - 3}-02-01T00:00"},
     "The release date must be in the future"),
    ("presave_opens_local", {"presave_opens_local": "next friday"}, "Not a valid datetime value"),
    ("presave_opens_local", {"presave_opens_local": "0001-01-01T00:00", "timezone": "Asia/Tokyo"},
     "0001-01-01 is out of range"),
    ("release_date", {"release_date": "9999-12-31", "release_time": "23:00",
                      "timezone": "America/New_York"}, "9999-12-31 is out of range"),
    ("release_time", {"release_time": "25:00"}, "Not a valid time value"),
    ("release_mode", {"release_mode": "sometimes"}, "Not a valid choice"),
    ("artist_id", {"artist_id": "abc"}, "Invalid Choice: could not coerce"),
    ("timezone", {"timezone": "Mars/Olympus_Mons"}, "'Mars/Olympus_Mons' is not an IANA time zone"),
    ("platforms", {"platforms": []}, "Choose at least one platform"),
    ("platforms", {"platforms": ["myspace"]}, "Unknown platform(s): myspace"),
    ("title", {"title": ""}, "Give the release a title"),
    ("title", {"title": "   "}, "Give the release a title"),
    ("slug", {"slug": "Not A Slug!"}, "Use lower-case letters, digits and single dashes"),
    ("artwork", {"artwork": (io.BytesIO(png(100)), "small.png")}, "it must be at least 640×640"),
    ("artwork", {"artwork": (io.BytesIO(png(800, "GIF")), "cover.gif")},
     "GIF images are not accepted"),
    ("artwork", {"artwork": (io.BytesIO(b"%PDF-1.4 not art"), "cover.png")},
     "The file is not a JPEG, PNG or WebP image"),
    ("artwork", {"artwork": (io.BytesIO(big_file()), "huge.png")}, "larger than 10 MB"),
    ("artwork", {"artwork": (io.BytesIO(png_claiming(30000, 30000)), "bomb.png")},
     "The image has too many pixels"),
]


@pytest.mark.parametrize("field, overrides, message", INVALID,
                         ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(INVALID)])
def test_each_rule_is_reported_next_to_its_field(app, staff, artist_ids, unique, field, overrides,
                                                 message):
    overrides = dict(overrides)
    title = overrides.pop("title", unique("Rejected"))
    artist_id = overrides.pop("artist_id", artist_ids["juniper-kites"])
    data = form_data(artist_id, title, **overrides)
    response = post_create(staff, data)
    assert response.status_code == 422
    assert str(escape(message)) in field_group(response.text, field)
    assert "Nothing was saved" in response.text
    if title:
        assert stored(app, title) == []
        assert f'value="{title}"' in response.text


def test_slug_is_unique_per_artist(app, staff, artist_ids, unique):
    slug = unique("same-slug")
    first = create(app, staff, artist_ids["juniper-kites"], unique("One"), slug=slug)
    second_title = unique("Two")
    response = post_create(staff, form_data(artist_ids["juniper-kites"], second_title, slug=slug))
    assert response.status_code == 422
    assert f"This artist already has a release at &#39;{slug}&#39;" in field_group(response.text, "slug")
    assert stored(app, second_title) == []
    other = create(app, staff, artist_ids["aurora-vale"], unique("Three"), slug=slug)
    assert first["slug"] == other["slug"] == slug


def test_a_blank_slug_is_the_titles_numbered_past_the_artists_others_as_in_the_api(
        app, staff, artist_ids, unique):
    title = unique("Same Title")
    for _ in range(2):
        response = post_create(staff, form_data(artist_ids["juniper-kites"], title))
        assert response.status_code == 302, response.text
    base = title.lower().replace(" ", "-")
    assert sorted(row["slug"] for row in stored(app, title)) == [base, f"{base}-2"]


def test_a_valid_artwork_is_kept_when_another_field_is_rejected(app, staff, artist_ids, unique):
    title = unique("Kept Art")
    response = post_create(staff, form_data(artist_ids["juniper-kites"], title, artwork=png(),
                                            upc="1"))
    assert response.status_code == 422
    kept = re.search(r'name="artwork_kept" type="hidden" value="([0-9a-f]{40}\.png)"|'
                     r'type="hidden" name="artwork_kept" value="([0-9a-f]{40}\.png)"|'
                     r'id="artwork_kept" name="artwork_kept" type="hidden" value="([^"]+)"',
                     response.text)
    assert kept, "the stored artwork should come back in a hidden field"
    name = next(g for g in kept.groups() if g)
    row = create(app, staff, artist_ids["juniper-kites"], title, artwork_kept=name)
    assert row["artwork"] == name


def test_a_forged_kept_artwork_is_refused(app, staff, artist_ids, unique):
    title = unique("Forged")
    response = post_create(staff, form_data(artist_ids["juniper-kites"], title,
                                            artwork_kept="../../config.py"))
    assert response.status_code == 422
    assert "please upload it again" in field_group(response.text, "artwork")
    assert stored(app, title) == []


# The release page and its actions ------------------------------------------------------------

def test_release_page_shows_everything_staff_need(app, staff, artist_ids, unique):
    title = unique("Shown")
    row = create(app, staff, artist_ids["juniper-kites"], title, artwork=png(), slug=unique("shown"))
    html = staff.get(f"/releases/show/{row['id']}").text
    assert title in html and "Juniper Kites" in html and "Draft" in html
    assert f"http://presave.test/s/juniper-kites/{row['slug']}" in html and "data-copy" in html
    assert f'/media/{row["artwork"]}' in html
    assert f"{YEAR}-02-28 23:00 UTC" in html and f"{YEAR}-02-01 09:00 UTC" in html
    assert "Europe/Berlin" in html and "USRC12600001" in html and "012345678905" in html
    assert "Spotify" in html and "Apple Music" in html
    assert f'data-target="{YEAR}-02-01T09:00:00+00:00"' in html  # countdown to the opening
    assert "Created as" in html and STAFF in html
    assert "/releases/announce/" in html and "/releases/archive/" in html
    assert 'id="change-dates"' in html


def test_list_shows_status_and_instants(app, staff, artist_ids, unique):
    title = unique("Listed")
    create(app, staff, artist_ids["juniper-kites"], title, action="announce")
    html = staff.get(f"/releases/list/?_flt_0_title={title}").text.split("</thead>")[1]
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{title}(?:(?!</tr>).)*</tr>", html, re.S).group(0)
    assert "Announced" in row and "Juniper Kites" in row
    assert f"{YEAR}-03-01 00:00" in row and "Europe/Berlin" in row and f"{YEAR}-02-28 23:00 UTC" in row


def test_announce_then_archive_and_invalid_transitions_explain(app, staff, artist_ids, unique):
    title = unique("Lifecycle")
    row = create(app, staff, artist_ids["juniper-kites"], title)
    page = f"/releases/show/{row['id']}"
    response = staff.post(f"/releases/announce/{row['id']}")
    assert response.status_code == 302 and response.headers["Location"].endswith(page)
    assert stored(app, title)[0]["status"] == "announced"
    response = staff.post(f"/releases/announce/{row['id']}", follow_redirects=True)
    assert response.status_code == 200
    assert "Only a draft can be announced; this release is Announced" in response.text
    assert staff.post(f"/releases/archive/{row['id']}").status_code == 302
    response = staff.post(f"/releases/archive/{row['id']}", follow_redirects=True)
    assert "This release is already archived" in response.text
    assert [h[1] for h in stored(app, title)[0]["history"]] == ["draft", "announced", "archived"]
    assert "/releases/announce/" not in response.text and 'id="change-dates"' not in response.text


def dates(**overrides):
    data = {"presave_opens_local": f"{YEAR}-04-01T09:00", "release_date": f"{YEAR}-05-01",
            "release_time": "00:00", "timezone": "Asia/Tokyo", "release_mode": "global"}
    data.update(overrides)
    return data


def test_change_dates(app, staff, artist_ids, unique):
    title = unique("Moved")
    row = create(app, staff, artist_ids["juniper-kites"], title, action="announce")
    response = staff.post(f"/releases/change_dates/{row['id']}", data=dates())
    assert response.status_code == 302
    (moved,) = stored(app, title)
    assert (moved["timezone"], moved["release_at"]) == ("Asia/Tokyo", f"{YEAR}-04-30T15:00:00+00:00")
    assert moved["status"] == "announced"


@pytest.mark.parametrize("field, overrides, message", [
    ("presave_opens_local", {"presave_opens_local": f"{YEAR}-06-01T00:00"},
     "The pre-save must open before the release"),
    ("release_date", {"release_date": f"{YEAR - 3}-05-01",
                      "presave_opens_local": f"{YEAR - 3}-04-01T00:00"},
     "The release date must be in the future"),
    ("timezone", {"timezone": "Nowhere/Land"}, "is not an IANA time zone"),
    ("release_date", {"release_date": ""}, "Give the release date"),
])
def test_change_dates_is_validated_like_create(app, staff, artist_ids, unique, field, overrides,
                                               message):
    title = unique("Not Moved")
    row = create(app, staff, artist_ids["juniper-kites"], title)
    response = staff.post(f"/releases/change_dates/{row['id']}", data=dates(**overrides))
    assert response.status_code == 422
    assert message in field_group(response.text, field).replace("&#39;", "'")
    assert stored(app, title)[0]["release_at"] == row["release_at"]


def test_dates_of_an_archived_release_cannot_change(app, staff, artist_ids, unique):
    title = unique("Frozen")
    row = create(app, staff, artist_ids["juniper-kites"], title)
    staff.post(f"/releases/archive/{row['id']}")
    response = staff.post(f"/releases/change_dates/{row['id']}", data=dates(), follow_redirects=True)
    assert response.status_code == 200
    assert "The dates of a released or archived release cannot change" in response.text
    assert stored(app, title)[0]["release_at"] == row["release_at"]


def test_edit_validates_like_create(app, staff, artist_ids, unique):
    title = unique("Edited")
    row = create(app, staff, artist_ids["juniper-kites"], title)
    url = f"/releases/edit/{row['id']}"
    assert title in staff.get(url).text
    fields = {"title": title, "slug": row["slug"], "isrc": "GB-AAA-27-12345", "upc": "012345678906",
              "platforms": ["deezer"]}
    response = staff.post(url, data=fields, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "check digit is wrong" in field_group(response.text, "upc")
    assert stored(app, title)[0]["isrc"] == "USRC12600001"
    new_title = unique("Renamed")
    response = staff.post(url, data={**fields, "title": new_title, "upc": "",
                                     "artwork": (io.BytesIO(png(700)), "new.png")},
                          content_type="multipart/form-data")
    assert response.status_code == 302
    (edited,) = stored(app, new_title)
    assert (edited["isrc"], edited["upc"], edited["platforms"]) == ("GBAAA2712345", None, ["deezer"])
    assert edited["artwork"] and edited["release_at"] == row["release_at"]


def test_unknown_release_is_404(staff):
    assert staff.get("/releases/show/999999").status_code == 404
    assert staff.post("/releases/announce/999999").status_code == 404


# Who may do what -----------------------------------------------------------------------------

def test_another_labels_artist_is_refused(app, login, artist_ids, unique):
    harbor = login(HARBOR)
    title = unique("Foreign")
    response = post_create(harbor, form_data(artist_ids["juniper-kites"], title))
    assert response.status_code == 422
    assert "Choose one of your label&#39;s artists" in field_group(response.text, "artist_id")
    assert stored(app, title) == []


def test_another_labels_release_is_invisible(app, login, staff, artist_ids, unique):
    title = unique("Private")
    row = create(app, staff, artist_ids["juniper-kites"], title)
    harbor = login(HARBOR)
    assert harbor.get(f"/releases/show/{row['id']}").status_code == 404
    assert harbor.post(f"/releases/announce/{row['id']}").status_code == 404
    assert harbor.post(f"/releases/change_dates/{row['id']}", data=dates()).status_code == 404
    assert title not in harbor.get("/releases/list/").text
    assert stored(app, title)[0]["status"] == "draft"


def test_artist_user_reads_but_cannot_change(app, login, staff, artist_ids, unique):
    title = unique("Read Only")
    row = create(app, staff, artist_ids["aurora-vale"], title)
    artist = login(ARTIST_USER)
    assert title in artist.get("/releases/list/").text
    page = artist.get(f"/releases/show/{row['id']}")
    assert page.status_code == 200 and title in page.text
    assert "/releases/announce/" not in page.text and 'id="change-dates"' not in page.text
    assert artist.get("/releases/add").status_code == 403
    denied = [artist.post("/releases/add", data=form_data(artist_ids["aurora-vale"], unique("X"))),
              artist.post(f"/releases/announce/{row['id']}"),
              artist.post(f"/releases/archive/{row['id']}"),
              artist.post(f"/releases/change_dates/{row['id']}", data=dates()),
              artist.post(f"/releases/edit/{row['id']}", data={"title": "Hacked"})]
    assert [r.status_code for r in denied] == [403] * len(denied)
    assert stored(app, title)[0]["status"] == "draft"
    assert stored(app, "Hacked") == []



@contextmanager
def csrf_checked(app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_actions_need_the_pages_csrf_token(app, staff, artist_ids, unique):
    title = unique("Guarded")
    row = create(app, staff, artist_ids["juniper-kites"], title)
    with csrf_checked(app):
        assert staff.post(f"/releases/announce/{row['id']}").status_code == 400
        assert stored(app, title)[0]["status"] == "draft"
        page = staff.get(f"/releases/show/{row['id']}").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = staff.post(f"/releases/announce/{row['id']}", data={"csrf_token": token})
    assert response.status_code == 302
    assert stored(app, title)[0]["status"] == "announced"
