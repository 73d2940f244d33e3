"""The artist form as a branding editor: the fan page preview of the unsaved form, the contrast
of its colours as the fan page measures them, fields that read as words and platform artist ids
checked by their shape."""
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Artist, Release
from app.tenants.context import Scope, scoped
from tests.images import image_bytes, png_claiming

STAFF = "staff@northwind.test"
COLORS = {"background_color": "#101820", "text_color": "#f5f5f5", "primary_color": "#1b2a4a",
          "accent_color": "#ff0000"}


def artist_id(app, slug):
    with app.app_context(), scoped(Scope.platform()):
        return db.session.scalar(select(Artist.id).where(Artist.slug == slug))


def stored(app, slug):
    with app.app_context(), scoped(Scope.platform()):
        artist = db.session.scalars(select(Artist).where(Artist.slug == slug)).one()
        return {name: getattr(artist, name) for name in [*COLORS, "name", "image"]}


def row_counts(app):
    with app.app_context(), scoped(Scope.platform()):
        return [db.session.scalar(select(func.count()).select_from(model))
                for model in (Artist, Release)]


def uploads(app):
    return sorted(path.name for path in Path(app.config["UPLOAD_DIR"]).iterdir())


def style_block(html):
    return re.search(r"<style nonce=\"[^\"]+\">\s*:root\{([^}]*)\}", html).group(1)


def test_the_preview_is_the_fan_page_with_the_unsaved_colours_and_stores_nothing(app, login):
    before, files, kept = row_counts(app), uploads(app), stored(app, "aurora-vale")
    response = login(STAFF).post(f"/artists/preview/{artist_id(app, 'aurora-vale')}",
                                 data={**COLORS, "name": "Aurora Vale (new look)"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    theme = style_block(html)
    assert "--bg:#101820" in theme and "--text:#f5f5f5" in theme
    assert "--accent:#e60000" in theme  # shaded, as on the real page: white on #ff0000 is 3.9:1
    assert 'class="pbtn-action"' in html and "Aurora Vale (new look)" in html
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert (row_counts(app), uploads(app), stored(app, "aurora-vale")) == (before, files, kept)


def test_a_new_artists_preview_shows_the_chosen_image_without_storing_it(app, login):
    before, files = row_counts(app), uploads(app)
    response = login(STAFF).post("/artists/preview/", data={
        **COLORS, "name": "Brand New", "image_upload": (io.BytesIO(image_bytes()), "face.png")},
        content_type="multipart/form-data")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="avatar" src="data:image/png;base64,' in html
    assert "Your next release" in html and "Brand New" in html
    assert (row_counts(app), uploads(app)) == (before, files)


def test_another_labels_artist_has_no_preview(app, login):
    harbor = artist_id(app, "neon-tide")
    response = login(STAFF).post(f"/artists/preview/{harbor}", data=COLORS)
    assert response.status_code == 404
    assert "Neon Tide" not in response.get_data(as_text=True)


def test_only_those_who_edit_artists_preview_them(app, login):
    response = login("artist@northwind.test").post(
        f"/artists/preview/{artist_id(app, 'aurora-vale')}", data=COLORS)
    assert response.status_code == 403


@pytest.mark.parametrize("changes, upload, message", [
    ({"accent_color": "red"}, None, "Accent colour: Colours are #RRGGBB hex values"),
    ({"text_color": "#12345"}, None, "Text colour: Colours are #RRGGBB hex values"),
    ({"background_color": ""}, None, "Background colour: Give a colour as #rrggbb"),
    ({}, (b"GIF89a" + b"\0" * 64, "x.png"), "not a JPEG, PNG or WebP"),
    ({}, (png_claiming(30000, 30000), "bomb.png"), "too many pixels"),
])
def test_a_bad_value_is_a_422_that_says_why(app, login, changes, upload, message):
    data = {**COLORS, **changes}
    if upload:
        data["image_upload"] = (io.BytesIO(upload[0]), upload[1])
    before = row_counts(app)
    response = login(STAFF).post(f"/artists/preview/{artist_id(app, 'aurora-vale')}", data=data,
                                 content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "private, no-store"
    assert row_counts(app) == before


def test_the_preview_needs_the_forms_csrf_token(app, login):
    client = login(STAFF)
    pk = artist_id(app, "aurora-vale")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = client.post(f"/artists/preview/{pk}", data=COLORS)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                          client.get(f"/artists/edit/{pk}").text).group(1)
        accepted = client.post(f"/artists/preview/{pk}", data={**COLORS, "csrf_token": token})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert refused.status_code == 422 and "CSRF" in refused.text
    assert accepted.status_code == 200


def test_the_contrast_of_each_pair_is_what_the_preview_shows(app, login):
    client = login(STAFF)
    report = client.get("/artists/contrast/", query_string=COLORS)
    assert report.status_code == 200
    assert report.headers["Cache-Control"] == "private, no-store"
    pairs = {pair["name"]: pair for pair in report.get_json()["pairs"]}
    assert pairs["Text on background"]["words"] == "Text on background 16.4:1 ✓"
    button = pairs["Accent button text (white)"]
    assert not button["passes"] and button["ratio"] == pytest.approx(3.99, abs=0.01)
    assert button["words"] == ("Accent button text (white) 3.9:1 — below 4.5:1: fans may not "
                               "read it; the page will shade the buttons to #e60000 (4.8:1)")
    outline = pairs["Accent on background (countdown, outlines)"]
    assert "the page will use the text colour there, #f5f5f5" in outline["words"]
    html = client.post(f"/artists/preview/{artist_id(app, 'aurora-vale')}", data=COLORS).text
    assert "--accent:#e60000" in style_block(html) and "--highlight:#f5f5f5" in style_block(html)


def test_the_form_shows_the_contrast_under_the_colours(app, login):
    page = login(STAFF).get(f"/artists/edit/{artist_id(app, 'aurora-vale')}").text
    colours, contrast = page.index('data-field="accent_color"'), page.index("contrast-list")
    assert colours < contrast < page.index('name="fan-preview"')
    assert re.search(r'<li class="contrast-pass">Text on background \d+\.\d:1 ✓</li>', page)


def test_a_bad_colour_for_the_contrast_is_a_422_that_says_why(login):
    response = login(STAFF).get("/artists/contrast/", query_string={"accent_color": "#ff00"})
    assert response.status_code == 422
    assert response.get_json()["message"] == "Accent colour: Colours are #RRGGBB hex values"


def test_fields_read_as_words_and_platform_ids_say_their_shape(app, login):
    page = login(STAFF).get(f"/artists/edit/{artist_id(app, 'aurora-vale')}").text
    for label in ("Consent text for SMS", "Consent text for email", "Ask for their mobile number",
                  "Fan page address", "Spotify artist id", "YouTube Music artist id"):
        assert f"{label}\n" in page or f"{label} " in page or f"{label}<" in page, label
    assert "Consent Sms Text" not in page and "Consent Email Text" not in page
    assert "22 letters and digits, the end of the artist&#39;s link open.spotify.com/artist/" \
        in page
    assert '<a href="https://open.spotify.com/search/" target="_blank" rel="noopener">' in page
    assert 'type="color"' in page and 'pattern="#[0-9a-fA-F]{6}"' in page
    shown = login(STAFF).get(f"/artists/show/{artist_id(app, 'aurora-vale')}").text
    assert "Consent text for SMS" in shown
