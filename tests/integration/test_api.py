"""The REST API under /api/v1, through HTTP with bearer tokens: shapes, rules and scoping."""
import io
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.models import Artist, Consent, Fan, Label, Release
from app.models.release import ReleaseStatusChange
from app.tenants.context import Scope, scoped
from tests.images import png_claiming
from tests.own_label import purge_artist

STAFF, OWNER, HARBOR, ADMIN, ARTIST = ("staff@northwind.test", "owner@northwind.test",
                                       "staff@harbor.test", "admin@presave.test",
                                       "artist@northwind.test")
YEAR = date.today().year + 2  # always in the future, never in a DST change on 1 March


# -- helpers ---------------------------------------------------------------------------------------

def db_ids(app, model, *where):
    with app.app_context(), scoped(Scope.platform()):
        return list(db.session.scalars(select(model.id).where(*where)))


def db_count(app, model, *where):
    with app.app_context(), scoped(Scope.platform()):
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def label_id(app, slug):
    return db_ids(app, Label, Label.slug == slug)[0]


def artist_id(app, slug):
    return db_ids(app, Artist, Artist.slug == slug)[0]


def release_body(artist, **overrides):
    body = {"artist_id": artist, "title": "Midnight City", "platforms": ["spotify", "deezer"],
            "timezone": "Europe/Berlin", "presave_opens_at": f"{YEAR}-02-01T09:30",
            "release_at": f"{YEAR}-03-01"}
    body.update(overrides)
    return body


def image(size=(640, 640), kind="PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 90)).save(buffer, kind)
    return buffer.getvalue()


def message(response):
    return response.get_json()["message"]


def ids(client, headers, resource):
    body = client.get(f"/api/v1/{resource}/?q=(page_size:100)", headers=headers).get_json()
    return set(body["ids"])


@pytest.fixture
def staff(api):
    return api(STAFF)


@pytest.fixture
def artist(app, staff, unique):
    """A fresh Northwind artist made through the API, removed afterwards with all it owns."""
    client, headers = staff
    response = client.post("/api/v1/artists/", headers=headers,
                           json={"name": "Test Artist", "slug": unique("artist")})
    assert response.status_code == 201, response.get_json()
    yield response.get_json()["result"]
    purge_artist(app, response.get_json()["id"])


@pytest.fixture
def release(staff, artist, unique):
    client, headers = staff
    response = client.post("/api/v1/releases/", headers=headers,
                           json=release_body(artist["id"], slug=unique("rel")))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["result"]


@pytest.fixture
def fan(app, artist, unique):
    """A fan with one consent, written as the platform (the API never writes fans)."""
    with app.app_context(), scoped(Scope.platform()):
        row = Fan(artist_id=artist["id"], label_id=artist["label_id"], name="Fan Person",
                  email=f"{unique('fan')}@example.com", city="Leeds", country="GB")
        db.session.add(row)
        db.session.flush()
        db.session.add(Consent(fan_id=row.id, artist_id=row.artist_id, label_id=row.label_id,
                               purpose="email_marketing", wording="Send me news"))
        db.session.commit()
        return row.id


# -- artists ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("email", [STAFF, OWNER])
def test_label_users_create_read_update_and_delete_an_artist(app, api, unique, email):
    client, headers = api(email)
    slug = unique("luna")
    body = {"name": "Luna Park", "slug": slug, "timezone": "Europe/London", "bio": "Dream pop",
            "primary_color": "#112233", "accent_color": "#AABBCC", "collect_phone": "required",
            "wrapper_enabled": False, "offer_follow": True,
            "consent_email_text": "Email me", "platform_ids": {"spotify": "abc123"}}
    created = client.post("/api/v1/artists/", headers=headers, json=body)
    assert created.status_code == 201, created.get_json()
    result = created.get_json()["result"]
    assert result["label_id"] == label_id(app, "northwind")
    assert result["accent_color"] == "#aabbcc"
    assert result["collect_phone"] == "required" and result["collect_email"] == "optional"
    assert result["platform_ids"] == {"spotify": "abc123"}
    pk = result["id"]
    assert pk in ids(client, headers, "artists")
    assert client.get(f"/api/v1/artists/{pk}", headers=headers).get_json()["result"]["name"] == \
        "Luna Park"

    changed = client.put(f"/api/v1/artists/{pk}", headers=headers,
                         json={"name": "Luna Parc", "text_color": "#000000"})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["result"]["name"] == "Luna Parc"
    assert changed.get_json()["result"]["bio"] == "Dream pop"  # partial: the rest is kept

    assert client.delete(f"/api/v1/artists/{pk}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/artists/{pk}", headers=headers).status_code == 404


@pytest.mark.parametrize("field, value, expected", [
    ("slug", "Not A Slug", "lower-case letters"),
    ("primary_color", "red", "#RRGGBB"),
    ("text_color", "#12345g", "#RRGGBB"),
    ("collect_phone", "maybe", "off, optional or required"),
    ("timezone", "Mars/Olympus", "IANA"),
    ("platform_ids", {"myspace": "x"}, "Unknown platform"),
    ("label_id", 10**30, "Not a valid id"),
    ("name", "", "1 to 120 characters"),
    ("colour", "#000000", "Unknown field"),
])
def test_artist_fields_are_checked_one_by_one(app, staff, unique, field, value, expected):
    client, headers = staff
    slug = unique("bad")
    response = client.post("/api/v1/artists/", headers=headers,
                           json={"name": "Bad", "slug": slug, field: value})
    assert response.status_code == 422
    assert expected in str(message(response)[field])
    assert db_count(app, Artist, Artist.slug == slug) == 0


def test_a_taken_slug_is_a_conflict_not_a_crash(app, staff, api, artist):
    client, headers = staff
    again = client.post("/api/v1/artists/", headers=headers,
                        json={"name": "Copy", "slug": artist["slug"]})
    assert again.status_code == 409
    assert "already taken" in message(again)["slug"][0]
    # Another label cannot see the artist, but the slug is global all the same.
    harbor, harbor_headers = api(HARBOR)
    elsewhere = harbor.post("/api/v1/artists/", headers=harbor_headers,
                            json={"name": "Copy", "slug": artist["slug"]})
    assert elsewhere.status_code == 409
    assert db_count(app, Artist, Artist.slug == artist["slug"]) == 1
    assert client.get("/api/v1/artists/", headers=headers).status_code == 200


def test_admin_names_the_label_of_a_new_artist(app, api, unique):
    client, headers = api(ADMIN)
    slug = unique("adm")
    missing = client.post("/api/v1/artists/", headers=headers, json={"name": "A", "slug": slug})
    assert missing.status_code == 422
    assert "which label" in message(missing)["label_id"][0]
    harbor = label_id(app, "harbor-lights")
    created = client.post("/api/v1/artists/", headers=headers,
                          json={"name": "A", "slug": slug, "label_id": harbor})
    assert created.status_code == 201
    assert created.get_json()["result"]["label_id"] == harbor
    assert client.delete(f"/api/v1/artists/{created.get_json()['id']}",
                         headers=headers).status_code == 200


def test_a_forged_label_id_writes_nothing(app, staff, unique):
    client, headers = staff
    slug = unique("forged")
    response = client.post("/api/v1/artists/", headers=headers, json={
        "name": "Forged", "slug": slug, "label_id": label_id(app, "harbor-lights")})
    assert response.status_code == 422
    assert "label_id" in message(response)
    assert db_count(app, Artist, Artist.slug == slug) == 0


def test_an_artist_never_moves_label(app, staff, artist):
    client, headers = staff
    response = client.put(f"/api/v1/artists/{artist['id']}", headers=headers,
                          json={"label_id": label_id(app, "harbor-lights")})
    assert response.status_code == 422
    assert db_count(app, Artist, Artist.id == artist["id"],
                    Artist.label_id == label_id(app, "northwind")) == 1


@pytest.mark.parametrize("method", ["get", "put", "delete"])
@pytest.mark.parametrize("pk", ["99999999999999999999", "0"])
def test_an_impossible_id_is_not_found(staff, method, pk):
    client, headers = staff
    response = getattr(client, method)(f"/api/v1/artists/{pk}", headers=headers, json={})
    assert response.status_code == 404


def test_a_body_that_is_not_a_json_object_is_a_400(staff):
    client, headers = staff
    response = client.post("/api/v1/artists/", headers=headers, data="name=x",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "JSON object" in message(response)


# -- releases: shape and CRUD ----------------------------------------------------------------------

def test_a_release_shows_local_times_beside_utc_instants(staff, artist, unique):
    client, headers = staff
    response = client.post("/api/v1/releases/", headers=headers, json=release_body(
        artist["id"], title=f"Night Owl {unique()}", isrc="us-rc1-26-00001",
        upc="036000291452", platforms=["tidal", "spotify"]))
    assert response.status_code == 201, response.get_json()
    result = response.get_json()["result"]
    assert result["release_at"] == f"{YEAR}-03-01T00:00:00"
    assert result["release_at_utc"] == f"{date(YEAR, 3, 1) - timedelta(days=1)}T23:00:00+00:00"
    assert result["presave_opens_at"] == f"{YEAR}-02-01T09:30:00"
    assert result["presave_opens_at_utc"] == f"{YEAR}-02-01T08:30:00+00:00"
    assert result["artist"] == {"id": artist["id"], "name": "Test Artist", "slug": artist["slug"]}
    assert result["isrc"] == "USRC12600001" and result["upc"] == "036000291452"
    assert result["platforms"] == ["spotify", "tidal"]
    assert result["status"] == "draft" and result["release_mode"] == "global"
    assert result["slug"].startswith("night-owl-")
    assert result["fan_page_url"] == f"http://presave.test/s/{artist['slug']}/{result['slug']}"
    assert result["artwork_url"] is None and result["timing_notes"] is None
    assert result["created_at"].endswith("+00:00")
    shown = client.get(f"/api/v1/releases/{result['id']}", headers=headers).get_json()["result"]
    assert shown == result


def test_a_release_made_through_the_api_starts_its_status_history_as_a_draft(app, staff, artist,
                                                                            unique):
    client, headers = staff
    response = client.post("/api/v1/releases/", headers=headers, json=release_body(
        artist["id"], title=f"First Line {unique()}"))
    assert response.status_code == 201, response.get_json()
    pk = response.get_json()["result"]["id"]
    announced = client.post(f"/api/v1/releases/{pk}/announce", headers=headers)
    assert announced.status_code == 200, announced.get_json()
    with app.app_context(), scoped(Scope.platform()):
        history = db.session.scalars(select(ReleaseStatusChange).where(
            ReleaseStatusChange.release_id == pk).order_by(ReleaseStatusChange.id)).all()
        lines = [(change.from_status, change.to_status, change.actor) for change in history]
    assert lines == [(None, "draft", STAFF), ("draft", "announced", STAFF)]


def test_deleting_an_artist_removes_its_releases_and_leaves_the_lists_readable(staff, release):
    client, headers = staff
    artist_id = release["artist"]["id"]
    assert client.delete(f"/api/v1/artists/{artist_id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/releases/{release['id']}", headers=headers).status_code == 404
    assert client.get("/api/v1/releases/", headers=headers).status_code == 200


def test_staff_updates_lists_and_deletes_a_release(staff, release):
    client, headers = staff
    pk = release["id"]
    assert pk in ids(client, headers, "releases")
    changed = client.put(f"/api/v1/releases/{pk}", headers=headers,
                         json={"title": "Renamed", "upc": "4006381333931"})
    assert changed.status_code == 200, changed.get_json()
    result = changed.get_json()["result"]
    assert (result["title"], result["upc"], result["slug"]) == ("Renamed", "4006381333931",
                                                                 release["slug"])
    assert result["release_at_utc"] == release["release_at_utc"]
    assert client.delete(f"/api/v1/releases/{pk}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/releases/{pk}", headers=headers).status_code == 404


def test_lists_keep_fab_filters_order_and_pages(staff, artist):
    client, headers = staff
    for title in ("Bravo", "Alpha", "Charlie"):
        client.post("/api/v1/releases/", headers=headers,
                    json=release_body(artist["id"], title=title))
    query = (f"(filters:!((col:artist,opr:rel_o_m,value:{artist['id']})),"
             "order_column:title,order_direction:asc,page:1,page_size:1)")
    body = client.get(f"/api/v1/releases/?q={query}", headers=headers).get_json()
    assert body["count"] == 3
    assert [r["title"] for r in body["result"]] == ["Bravo"]
    picked = client.get("/api/v1/releases/?q=(columns:!(title,release_at_utc))",
                        headers=headers).get_json()["result"][0]
    assert set(picked) == {"title", "release_at_utc"}

def test_new_dates_and_zone_go_through_change_dates(staff, release):
    client, headers = staff
    url = f"/api/v1/releases/{release['id']}"
    moved = client.put(url, headers=headers, json={"release_at": f"{YEAR}-03-02T06:00"})
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["result"]["release_at_utc"] == f"{YEAR}-03-02T05:00:00+00:00"
    rezoned = client.put(url, headers=headers, json={"timezone": "America/New_York"})
    result = rezoned.get_json()["result"]
    assert result["release_at"] == f"{YEAR}-03-02T06:00:00"
    assert result["release_at_utc"] == f"{YEAR}-03-02T11:00:00+00:00"


def test_a_local_time_in_the_dst_gap_moves_forward_with_a_note(staff, artist):
    client, headers = staff
    march_31 = date(YEAR, 3, 31)
    clocks_change = march_31 - timedelta(days=(march_31.weekday() + 1) % 7)  # last Sunday
    response = client.post("/api/v1/releases/", headers=headers, json=release_body(
        artist["id"], presave_opens_at=f"{clocks_change}T02:30", release_at=f"{YEAR}-04-30"))
    result = response.get_json()["result"]
    assert result["presave_opens_at"] == f"{clocks_change}T03:00:00"
    assert "does not exist" in result["timing_notes"]


def test_a_missing_slug_is_derived_from_the_title_and_kept_unique(staff, artist):
    client, headers = staff
    slugs = [client.post("/api/v1/releases/", headers=headers, json=release_body(
        artist["id"], title="Same Title!")).get_json()["result"]["slug"] for _ in range(2)]
    assert slugs == ["same-title", "same-title-2"]


def test_a_taken_release_slug_is_a_conflict(staff, release):
    client, headers = staff
    again = client.post("/api/v1/releases/", headers=headers,
                        json=release_body(release["artist"]["id"], slug=release["slug"]))
    assert again.status_code == 409
    assert "already has a release" in message(again)["slug"][0]


@pytest.mark.parametrize("isrc", ["us-rc1-26-00001", "USRC12600001", "usrc12600001",
                                  "US-RC1-26-00001 "])
def test_isrc_is_stored_as_twelve_upper_case_characters(staff, artist, isrc):
    client, headers = staff
    response = client.post("/api/v1/releases/", headers=headers,
                           json=release_body(artist["id"], isrc=isrc))
    assert response.get_json()["result"]["isrc"] == "USRC12600001"


PAST = f"{date.today().year - 1}-01-01"


@pytest.mark.parametrize("overrides, field, expected", [
    ({"isrc": "US-RC1-26-0001"}, "isrc", "CC-XXX-YY-NNNNN"),
    ({"upc": "036000291453"}, "upc", "check digit"),
    ({"upc": "12345"}, "upc", "12 or 13 digits"),
    ({"platforms": []}, "platforms", "at least one platform"),
    ({"platforms": ["myspace"]}, "platforms", "Unknown platform"),
    ({"timezone": "Europe/Atlantis"}, "timezone", "IANA"),
    ({"release_mode": "sometimes"}, "release_mode", "global"),
    ({"slug": "Bad Slug"}, "slug", "lower-case letters"),
    ({"title": ""}, "title", "1 to 200 characters"),
    ({"release_at": "next friday"}, "release_at", "is not a date-time"),
    ({"release_at": f"{YEAR}-03-01T00:00:00+01:00"}, "release_at", "without an offset"),
    ({"presave_opens_at": f"{YEAR}-03-02T00:00"}, "presave_opens_at", "open before the release"),
    ({"presave_opens_at": f"{date.today().year - 2}-01-01", "release_at": PAST}, "release_at",
     "in the future"),
    ({"status": "released"}, "status", "Unknown field"),
    ({"artist_id": None}, "artist_id", "null"),
    ({"artist_id": 10**30}, "artist_id", "Not a valid id"),
])
def test_release_fields_are_checked_one_by_one(app, staff, artist, overrides, field, expected):
    client, headers = staff
    before = db_count(app, Release, Release.artist_id == artist["id"])
    response = client.post("/api/v1/releases/", headers=headers,
                           json=release_body(artist["id"], **overrides))
    assert response.status_code == 422, response.get_json()
    assert expected in str(message(response)[field])
    assert db_count(app, Release, Release.artist_id == artist["id"]) == before


def test_a_release_needs_its_dates_and_platforms(staff, artist):
    client, headers = staff
    response = client.post("/api/v1/releases/", headers=headers,
                           json={"artist_id": artist["id"], "title": "Bare"})
    assert response.status_code == 422
    assert set(message(response)) == {"platforms", "presave_opens_at", "release_at"}


@pytest.mark.parametrize("body, field", [
    ({"status": "released"}, "status"),
    ({"artist_id": 1}, "artist_id"),
    ({"presave_opens_at": "2000-12-01", "release_at": "2001-01-01"}, "release_at"),
])
def test_a_put_cannot_set_status_move_artist_or_go_back_in_time(staff, release, body, field):
    client, headers = staff
    response = client.put(f"/api/v1/releases/{release['id']}", headers=headers, json=body)
    assert response.status_code == 422
    assert field in message(response)
    shown = client.get(f"/api/v1/releases/{release['id']}", headers=headers).get_json()["result"]
    assert shown == release


# -- releases: actions and artwork -----------------------------------------------------------------

def test_announce_then_archive(staff, release):
    client, headers = staff
    url = f"/api/v1/releases/{release['id']}"
    announced = client.post(f"{url}/announce", headers=headers)
    assert announced.status_code == 200
    assert announced.get_json()["result"]["status"] == "announced"
    again = client.post(f"{url}/announce", headers=headers)
    assert again.status_code == 409 and "Only a draft" in message(again)
    assert client.post(f"{url}/archive", headers=headers).get_json()["result"]["status"] == \
        "archived"
    assert client.post(f"{url}/archive", headers=headers).status_code == 409
    frozen = client.put(url, headers=headers, json={"release_at": f"{YEAR}-05-01"})
    assert frozen.status_code == 409 and "cannot change" in message(frozen)


def test_a_release_can_be_announced_when_created(staff, artist):
    client, headers = staff
    response = client.post("/api/v1/releases/", headers=headers,
                           json=release_body(artist["id"], announce=True))
    assert response.get_json()["result"]["status"] == "announced"


def upload(client, headers, pk, data, name="art.png"):
    files = {} if data is None else {"artwork": (io.BytesIO(data), name)}
    return client.put(f"/api/v1/releases/{pk}/artwork", headers=headers, data=files,
                      content_type="multipart/form-data")


def test_artwork_is_checked_by_content_and_stored(staff, release):
    client, headers = staff
    response = upload(client, headers, release["id"], image(kind="WEBP"), name="art.txt")
    assert response.status_code == 200, response.get_json()
    url = response.get_json()["result"]["artwork_url"]
    assert url.startswith("/media/") and url.endswith(".webp")
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("data, expected", [
    (image((639, 800)), "at least 640×640"),
    (image(kind="GIF"), "GIF images are not accepted"),
    (b"<html>not an image</html>", "not a JPEG, PNG or WebP"),
    (png_claiming(30000, 30000), "too many pixels"),  # Pillow's own bomb limit
    (png_claiming(12000, 12000), "too many pixels"),  # Pillow would only warn
    (png_claiming(8001, 700), "too many pixels: it may be at most 8000×8000; this one is 8001×700"),
    (b"", "empty"),
    (b"\0" * (10 * 1024 * 1024 + 1), "larger than 10 MB"),
    (None, "multipart file field 'artwork'"),
])
def test_bad_artwork_is_refused_with_a_reason(staff, release, data, expected):
    client, headers = staff
    response = upload(client, headers, release["id"], data)
    assert response.status_code == 422
    assert expected in message(response)["artwork"][0]
    assert client.get(f"/api/v1/releases/{release['id']}",
                      headers=headers).get_json()["result"]["artwork_url"] is None


def test_an_oversized_upload_is_a_413(staff, release):
    client, headers = staff
    response = upload(client, headers, release["id"], b"\0" * (12 * 1024 * 1024))
    assert response.status_code == 413
    assert "at most 10 MB" in message(response)


# -- fans ------------------------------------------------------------------------------------------

def test_staff_reads_fans_with_their_consents(staff, artist, fan):
    client, headers = staff
    assert fan in ids(client, headers, "fans")
    result = client.get(f"/api/v1/fans/{fan}", headers=headers).get_json()["result"]
    assert result["artist_id"] == artist["id"] and result["city"] == "Leeds"
    assert result["created_at"].endswith("+00:00")
    [consent] = result["consents"]
    assert consent["purpose"] == "email_marketing" and consent["withdrawn_at"] is None
    assert consent["given_at"].endswith("+00:00")


def test_fans_are_read_only(staff, fan):
    client, headers = staff
    assert client.post("/api/v1/fans/", headers=headers, json={"name": "x"}).status_code == 405
    assert client.put(f"/api/v1/fans/{fan}", headers=headers, json={"name": "x"}).status_code == 405
    assert client.delete(f"/api/v1/fans/{fan}", headers=headers).status_code == 405


# -- scoping ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("resource", ["artists", "releases", "fans"])
def test_another_label_gets_404_and_never_sees_the_rows(app, api, resource, artist, release, fan):
    client, headers = api(HARBOR)
    pk = {"artists": artist["id"], "releases": release["id"], "fans": fan}[resource]
    url = f"/api/v1/{resource}/{pk}"
    assert client.get(url, headers=headers).status_code == 404
    if resource != "fans":
        assert client.put(url, headers=headers, json={"title" if resource == "releases"
                                                      else "name": "Mine"}).status_code == 404
        assert client.delete(url, headers=headers).status_code == 404
    seen = ids(client, headers, resource)
    assert pk not in seen
    northwind = label_id(app, "northwind")
    model = {"artists": Artist, "releases": Release, "fans": Fan}[resource]
    assert not seen & set(db_ids(app, model, model.label_id == northwind))


def test_a_forged_artist_id_writes_nothing(app, staff, unique):
    client, headers = staff
    slug = unique("forged")
    response = client.post("/api/v1/releases/", headers=headers, json=release_body(
        artist_id(app, "marlow-shore"), slug=slug))
    assert response.status_code == 422
    assert "No artist" in message(response)["artist_id"][0]
    assert db_count(app, Release, Release.slug == slug) == 0


def test_an_artist_user_reads_only_its_own_releases(app, api, staff):
    client, headers = api(ARTIST)
    body = client.get("/api/v1/releases/?q=(page_size:100)", headers=headers).get_json()
    assert body["count"] > 0
    assert {r["artist"]["slug"] for r in body["result"]} == {"aurora-vale"}
    other = db_ids(app, Release, Release.artist_id == artist_id(app, "juniper-kites"))[0]
    assert client.get(f"/api/v1/releases/{other}", headers=headers).status_code == 404


def test_an_artist_user_cannot_write_or_read_fans(app, api):
    client, headers = api(ARTIST)
    own = db_ids(app, Release, Release.artist_id == artist_id(app, "aurora-vale"))[0]
    url = f"/api/v1/releases/{own}"
    attempts = [
        client.post("/api/v1/releases/", headers=headers,
                    json=release_body(artist_id(app, "aurora-vale"))),
        client.put(url, headers=headers, json={"title": "Mine"}),
        client.delete(url, headers=headers),
        client.post(f"{url}/announce", headers=headers),
        client.post(f"{url}/archive", headers=headers),
        upload(client, headers, own, image()),
        client.get("/api/v1/fans/", headers=headers),
        client.get("/api/v1/artists/", headers=headers),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)


def test_the_platform_admin_sees_both_labels(app, api):
    client, headers = api(ADMIN)
    body = client.get("/api/v1/artists/?q=(page_size:100)", headers=headers).get_json()
    labels = {r["label_id"] for r in body["result"]}
    assert {label_id(app, "northwind"), label_id(app, "harbor-lights")} <= labels
    releases = client.get("/api/v1/releases/?q=(page_size:100)", headers=headers).get_json()
    slugs = {r["artist"]["slug"] for r in releases["result"]}
    assert {"aurora-vale", "marlow-shore"} <= slugs


# -- authentication and the OpenAPI description ----------------------------------------------------

def test_a_browser_session_without_a_token_gets_401(app, login, unique):
    client = login(ADMIN)
    slug = unique("cookie")
    response = client.post("/api/v1/artists/", json={
        "name": "Cookie", "slug": slug, "label_id": label_id(app, "northwind")})
    assert response.status_code == 401
    assert client.get("/api/v1/releases/").status_code == 401
    assert db_count(app, Artist, Artist.slug == slug) == 0


def test_openapi_describes_the_three_resources(api):
    client, headers = api(ADMIN)
    response = client.get("/api/v1/_openapi", headers=headers)
    assert response.status_code == 200
    spec = response.get_json()
    for path in ("/api/v1/artists/", "/api/v1/releases/", "/api/v1/fans/",
                 "/api/v1/releases/{pk}/announce", "/api/v1/releases/{pk}/artwork"):
        assert path in spec["paths"], path
    schemas = spec["components"]["schemas"]
    assert "release_at_utc" in schemas["ReleaseApi.get"]["properties"]
    assert "artist_id" in schemas["ReleaseApi.post"]["properties"]
    assert "post" not in spec["paths"]["/api/v1/fans/"]



def test_a_mode_change_alone_moves_pending_presaves(app, api, active_release, unique):
    """Switching to local mode re-times each pending pre-save to the fan's own midnight."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Fan, PreSave, Release
    from app.presaves.record import delivery_instant, record_presave
    from app.tenants.context import Scope, scoped

    slug = active_release()
    with app.app_context(), scoped(Scope.platform("test")):
        release = db.session.scalars(select(Release).where(Release.slug == slug)).one()
        fan = Fan(artist_id=release.artist_id, label_id=release.label_id,
                  email=f"{unique('kol')}@example.com", timezone="Asia/Kolkata")
        db.session.add(fan)
        db.session.flush()
        presave, _ = record_presave(release, fan, "spotify")
        db.session.commit()
        release_id, presave_id, global_at = release.id, presave.id, presave.next_attempt_at
    client, headers = api("staff@northwind.test")
    answer = client.put(f"/api/v1/releases/{release_id}", json={"release_mode": "local"},
                        headers=headers)
    assert answer.status_code == 200, answer.get_json()
    with app.app_context(), scoped(Scope.platform("test")):
        release = db.session.get(Release, release_id)
        moved = db.session.get(PreSave, presave_id).next_attempt_at
        assert release.release_mode == "local"
        assert moved == delivery_instant(release, "Asia/Kolkata") != global_at
