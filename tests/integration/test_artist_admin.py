"""The roster admin: branding, data-wrapper settings, images checked by content."""
import io

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Artist
from app.tenants.context import Scope, scoped
from tests.images import image_bytes, png_claiming


def artist_form(unique, **changes):
    form = {"name": "Test Artist", "slug": unique("artist"), "timezone": "Europe/Paris",
            "primary_color": "#112233", "accent_color": "#ff8800", "background_color": "#ffffff",
            "text_color": "#000000", "collect_name": "required", "collect_email": "optional",
            "collect_phone": "off", "consent_email_text": "Email me news",
            "consent_sms_text": "Text me news", "spotify_artist_id": "4Z8W4fKeB5YxbusRsdQVPb"}
    form.update(changes)
    return form


def count_artists(app, slug):
    with app.app_context(), scoped(Scope.platform()):
        return db.session.scalar(select(func.count()).select_from(Artist).where(Artist.slug == slug))


def test_staff_adds_an_artist_with_branding_and_image(app, login, unique):
    form = artist_form(unique)
    form["image_upload"] = (io.BytesIO(image_bytes()), "face.png")
    response = login("staff@northwind.test").post("/artists/add", data=form,
                                                  content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context(), scoped(Scope.platform()):
        artist = db.session.scalars(select(Artist).where(Artist.slug == form["slug"])).one()
        assert artist.label.slug == "northwind"
        assert (artist.primary_color, artist.accent_color) == ("#112233", "#ff8800")
        assert artist.collect_name == "required" and artist.collect_phone == "off"
        assert artist.platform_ids == {"spotify": "4Z8W4fKeB5YxbusRsdQVPb"}
        assert artist.image and artist.image.endswith(".png")
    media = login("staff@northwind.test").get(f"/media/{artist.image}")
    assert media.status_code == 200 and media.mimetype == "image/png"


@pytest.mark.parametrize("changes, upload, message", [
    ({"primary_color": "red"}, None, "Colours are #RRGGBB hex values"),
    ({"slug": "Not A Slug!"}, None, "lower-case letters"),
    ({}, (b"GIF89a" + b"\0" * 64, "x.png"), "not a JPEG, PNG or WebP"),
    ({}, ("small", "tiny.png"), "at least 300"),
    ({}, (png_claiming(30000, 30000), "bomb.png"), "too many pixels"),
])
def test_bad_artist_input_is_refused_with_a_message(app, login, unique, changes, upload, message):
    form = artist_form(unique, **changes)
    if upload:
        data = image_bytes((100, 100)) if upload[0] == "small" else upload[0]
        form["image_upload"] = (io.BytesIO(data), upload[1])
    response = login("staff@northwind.test").post("/artists/add", data=form,
                                                  content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count_artists(app, form["slug"]) == 0


def test_a_slug_taken_by_another_label_is_refused(app, login):
    response = login("staff@northwind.test").post("/artists/add", data=artist_form(
        lambda _: "neon-tide"), content_type="multipart/form-data")
    assert response.status_code == 422
    assert "This slug is already taken" in response.get_data(as_text=True)
    assert count_artists(app, "neon-tide") == 1


@pytest.mark.parametrize("field, value, message", [
    ("spotify_artist_id", "abc123", "A Spotify artist id is 22 letters and digits"),
    ("apple_music_artist_id", "adele", "An Apple Music artist id is digits"),
    ("youtube_music_artist_id", "UCshort", "A YouTube Music artist id is UC and 22 more"),
    ("deezer_artist_id", "https://open.spotify.com/artist/4Z8W4fKeB5YxbusRsdQVPb",
     "A Deezer artist id is digits"),
])
def test_a_platform_id_of_the_wrong_shape_is_refused(app, login, unique, field, value, message):
    form = artist_form(unique, **{field: value})
    response = login("staff@northwind.test").post("/artists/add", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context(), scoped(Scope.platform()):
        assert db.session.scalar(select(Artist.id).where(Artist.slug == form["slug"])) is None


def test_a_pasted_artist_link_keeps_its_id(app, login, unique):
    form = artist_form(unique, timezone="-", spotify_artist_id=(
        "https://open.spotify.com/artist/4Z8W4fKeB5YxbusRsdQVPb?si=abc"),
        apple_music_artist_id="https://music.apple.com/gb/artist/some-name/262836961",
        deezer_artist_id=" 27 ")
    assert login("staff@northwind.test").post("/artists/add", data=form).status_code == 302
    with app.app_context(), scoped(Scope.platform()):
        artist = db.session.scalars(select(Artist).where(Artist.slug == form["slug"])).one()
        assert artist.platform_ids == {"spotify": "4Z8W4fKeB5YxbusRsdQVPb",
                                       "apple_music": "262836961", "deezer": "27"}
        assert artist.timezone is None  # its releases start in the label's zone
        db.session.delete(artist)
        db.session.commit()
