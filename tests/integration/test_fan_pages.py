"""The public fan pages through HTTP: every status, the modes, the data wrapper, safety."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.releases import rules as release_rules
from app.cli.demo_artwork import cover
from app.extensions import db
from app.localtime import now_utc
from app.crypto import keyring
from app.models import Artist, Label, PlatformCredential, Release, StreamingLink
from app.models.release import ANNOUNCED, ARCHIVED, DRAFT, PRESAVE_ACTIVE, RELEASED
from app.tenants.context import Scope, scoped
from app.uploads import store_image
from app.analytics.inapp import in_app_browser
from app.views.public.setup import forget_setups

BASE = "http://presave.test"
APPLE_SCRIPT = "https://js-cdn.music.apple.com/musickit/v3/musickit.js"
UA = {
    "Instagram": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Mobile/15E148 Instagram 329.0.3.29.120 (iPhone14,5; iOS 17_4)",
    "TikTok": "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Version/4.0 Chrome/120.0 Mobile Safari/537.36 trill_330403 BytedanceWebview/d8a21c6",
    "Facebook": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
                "(KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/442.0.0.38.109;FBBV/5]",
}
SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")


def tapped(client, path, platform="spotify", headers=None):
    """The details step a tap on ``platform`` opens (the fields come after the tap)."""
    response = client.post(f"{path}/presave", data={"platform": platform}, headers=headers)
    assert response.status_code == 200, response.status_code
    return html(response)


def html(response):
    return response.get_data(as_text=True)


@pytest.fixture(autouse=True)
def fresh_page_cache(app):
    """Modes are cached for a few seconds; tests that change the platform setup start afresh."""
    with app.app_context():
        forget_setups()


@pytest.fixture(scope="module")
def label(app):
    with app.app_context(), scoped(Scope.platform("test")):
        made = Label(name="Fan Page Tests", slug="fan-page-tests", timezone="Europe/Paris")
        db.session.add(made)
        db.session.commit()
        return made.id


@pytest.fixture
def make_artist(app, label, unique):
    def _make(**settings):
        with app.app_context(), scoped(Scope.platform("test")):
            slug = unique("fan")
            artist = Artist(label_id=label, name=settings.pop("name", "Test Artist"), slug=slug,
                            timezone="Europe/Paris", **settings)
            db.session.add(artist)
            db.session.commit()
            return slug
    return _make


@pytest.fixture
def make_release(app, unique):
    def _make(artist_slug, status=PRESAVE_ACTIVE, title="Test Song", platforms=None):
        with app.app_context(), scoped(Scope.platform("test")):
            artist = db.session.scalars(select(Artist).where(Artist.slug == artist_slug)).one()
            release = Release(artist=artist, label_id=artist.label_id, title=title,
                              slug=unique("r"), status=DRAFT,
                              platforms=platforms or ["spotify", "apple_music"],
                              artwork=store_image(cover("page", ("#101010", "#f0f0f0"), size=700)))
            now = now_utc().replace(tzinfo=None)
            opens = now + (timedelta(days=2) if status == ANNOUNCED else timedelta(days=-2))
            out = now + (timedelta(days=-1) if status in (RELEASED, ARCHIVED) else timedelta(days=5))
            release_rules.schedule(release, opens, out.replace(hour=0, minute=0), "UTC",
                                   must_be_future=False)
            db.session.add(release)
            if status != DRAFT:
                release_rules.record(release, status, "test")
            db.session.commit()
            return f"/s/{artist_slug}/{release.slug}"
    return _make


@pytest.fixture
def no_sandbox(app, monkeypatch):
    """No credentials and no sandbox: every platform falls back to reminders."""
    monkeypatch.setitem(app.config, "SANDBOX_ENABLED", False)


@pytest.fixture
def real_spotify_and_apple(app, monkeypatch, no_sandbox):
    monkeypatch.setitem(app.config, "SPOTIFY_CLIENT_ID", "spotify-app")
    monkeypatch.setitem(app.config, "SPOTIFY_CLIENT_SECRET", "spotify-secret")
    monkeypatch.setitem(app.config, "SPOTIFY_QUOTA_MODE", "extended")  # fans other tests left
    monkeypatch.setitem(app.config, "APPLE_TEAM_ID", "TEAM123456")
    monkeypatch.setitem(app.config, "APPLE_KEY_ID", "KEY1234567")
    monkeypatch.setitem(app.config, "APPLE_PRIVATE_KEY", app.config["APPLE_SANDBOX_PRIVATE_KEY"])


def platform_buttons(page):
    return re.findall(r'<button type="submit" name="platform" value="([a-z_]+)"', page)


# -- each status ------------------------------------------------------------------------------

def test_presave_active_page_offers_every_platform(client):
    response = client.get("/s/aurora-vale/tonight")
    page = html(response)
    assert response.status_code == 200
    assert "Midnight Drive" in page and "Aurora Vale" in page
    assert platform_buttons(page) == ["spotify", "apple_music", "deezer", "tidal",
                                      "youtube_music", "amazon_music"]
    assert 'class="brand-icon"' in page and "<svg" in page
    assert "Out in" in page and 'data-countdown="' in page
    assert re.search(r'<form class="presave-form" method="post" action="/s/aurora-vale/tonight/presave"',
                     page)
    assert 'name="csrf_token"' in page


def test_coming_soon_page_counts_down_to_the_opening(app, client):
    page = html(client.get("/s/aurora-vale/coming-soon"))
    with app.app_context(), scoped(Scope.platform("test")):
        release = db.session.scalars(select(Release).join(Release.artist).where(
            Artist.slug == "aurora-vale", Release.slug == "coming-soon")).one()
        opens = release.presave_opens_at.isoformat()
    assert "Coming Soon" in page and "Pre-save opens in" in page
    assert f'data-countdown="{opens}"' in page
    assert platform_buttons(page) == [], "no pre-save before it opens"
    forms = re.findall(r'<form [^>]*action="([^"]+)"', page)
    assert forms == ["/s/aurora-vale/coming-soon/notify"], "only: tell me when it opens"


@pytest.mark.parametrize("slug", ["out-now", "vault"])
def test_released_and_archived_pages_stream(client, slug):
    page = html(client.get(f"/s/aurora-vale/{slug}"))
    assert "Stream Now" in page and "data-countdown" not in page and "<form" not in page
    assert f'href="/s/aurora-vale/{slug}/go/spotify"' in page
    assert re.search(r"(Listen|Search) on Apple Music", page)


@pytest.mark.parametrize("path", ["/s/aurora-vale/draft", "/s/nobody", "/s/nobody/tonight",
                                  "/s/aurora-vale/missing", "/s/" + "a" * 500,
                                  "/s/aurora-vale/%ff", "/s/aurora-vale/tonight/go/spotify",
                                  "/s/aurora-vale/out-now/go/myspace",
                                  "/s/aurora-vale/draft/listen/spotify",
                                  "/s/aurora-vale/out-now/listen/myspace"])
def test_not_public_is_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Page not found" in html(response)


def test_go_opens_the_link_found_else_a_search(app, client, make_artist, make_release):
    path = make_release(make_artist(name="Sea & Sky"), RELEASED, title="Blue Hour",
                        platforms=["spotify", "deezer"])
    search = client.get(path + "/go/deezer")
    assert search.status_code == 302
    assert search.headers["Location"] == "https://www.deezer.com/search/Sea%20%26%20Sky%20Blue%20Hour"
    with app.app_context(), scoped(Scope.platform("test")):
        release = db.session.scalars(select(Release).where(
            Release.slug == path.rsplit("/", 1)[1])).one()
        db.session.add(StreamingLink(release=release, label_id=release.label_id,
                                     artist_id=release.artist_id, platform="spotify",
                                     url="https://open.spotify.com/track/abc", source="isrc"))
        db.session.commit()
    assert client.get(path + "/go/spotify").headers["Location"] == \
        "https://open.spotify.com/track/abc"
    old = client.get(path + "/listen/spotify")  # the buttons' old address, if it was shared
    assert (old.status_code, old.headers["Location"]) == (301, path + "/go/spotify")


def test_status_change_shows_at_once(app, client, make_artist, make_release):
    path = make_release(make_artist())
    assert "Pre-Save on Spotify" in html(client.get(path))
    with app.app_context(), scoped(Scope.platform("test")):
        release = db.session.scalars(select(Release).where(
            Release.slug == path.rsplit("/", 1)[1])).one()
        release_rules.record(release, RELEASED, "test")
        db.session.commit()
    page = html(client.get(path))
    assert "Stream Now" in page and "Pre-Save on Spotify" not in page


# -- modes, shown honestly ----------------------------------------------------------------------

def test_sandbox_direct_mode_says_pre_save_and_shows_the_badge(client, make_artist, make_release):
    page = html(client.get(make_release(make_artist())))
    assert "Pre-Save on Spotify" in page and "Pre-Add on Apple Music" in page
    assert 'class="pill pill-sandbox"' in page
    assert "Remind me on" not in page


def test_remind_mode_says_what_will_happen(client, make_artist, make_release, no_sandbox):
    path = make_release(make_artist(collect_email="off", collect_phone="off"))
    page = html(client.get(path))
    assert "Pre-Save on" not in page and "Pre-Add on" not in page
    assert page.count('aria-label="Remind me on ') == 2
    assert "A reminder sends you the link on release day." in page
    assert "pill-sandbox" not in page and field_tag(page, "email") is None
    assert platform_buttons(page) == ["spotify", "apple_music"]
    # reminders need a contact even when the artist collects no email: asked after the tap
    step = tapped(client, path)
    assert re.search(r'<input id="f-email" name="email" type="email"[^>]* required', step)


def test_link_only_platforms_promise_no_save(client, make_artist, make_release):
    page = html(client.get(make_release(make_artist(), platforms=["spotify", "soundcloud"])))
    assert platform_buttons(page) == ["spotify"]
    assert "SoundCloud" in page and "Listen here from release day" in page


def test_real_direct_mode_loads_musickit_with_the_nonce(client, make_artist, make_release,
                                                        real_spotify_and_apple):
    path = make_release(make_artist(), platforms=["spotify", "apple_music", "deezer"])
    page = html(client.get(path))
    assert "Pre-Save on Spotify" in page and "Remind me on Deezer" in page
    assert "musickit" not in page  # the artist asks for details: Apple signs in after them
    response = client.post(f"{path}/presave", data={"platform": "apple_music"})
    page, csp = html(response), response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert f'<script nonce="{nonce}" src="{APPLE_SCRIPT}"' in page
    assert "script-src 'self' 'nonce-" in csp and "https://js-cdn.music.apple.com" in csp
    assert re.search(r'value="apple_music" class="[^"]*" aria-label="[^"]+" data-musickit '
                     r'data-developer-token="ey', page)
    assert 'name="music_user_token"' in page and 'id="f-email"' in page
    assert "pill-sandbox" not in page


def test_with_no_details_asked_apple_signs_in_on_the_page(client, make_artist, make_release,
                                                         real_spotify_and_apple):
    response = client.get(make_release(make_artist(wrapper_enabled=False)))
    assert f'src="{APPLE_SCRIPT}"' in html(response)
    assert re.search(r'value="apple_music" class="[^"]*" aria-label="Pre-Add on Apple Music" '
                     r'data-musickit', html(response))


def test_sandbox_apple_adds_no_third_party_origin(client):
    response = client.get("/s/aurora-vale/tonight")
    csp = response.headers["Content-Security-Policy"]
    assert "apple.com" not in csp and "connect-src 'self';" in csp
    assert "apple.com" not in html(response)
    step = client.post("/s/aurora-vale/tonight/presave", data={"platform": "apple_music"})
    assert "apple.com" not in step.headers["Content-Security-Policy"]
    assert f'src="{BASE}/sandbox/apple_music/musickit.js"' in html(step)


# -- data wrapper and consent -------------------------------------------------------------------

def field_tag(page, name):
    found = re.search(rf'<input id="f-{name}" [^>]*>', page)
    return found.group(0) if found else None


def test_wrapper_fields_follow_the_artist_settings(client, make_artist, make_release):
    assert field_tag(html(client.get("/s/aurora-vale/tonight")), "email") is None
    page = tapped(client, make_release(make_artist(
        collect_name="required", collect_email="optional", collect_phone="off")))
    assert " required" in field_tag(page, "name")
    assert " required" not in field_tag(page, "email")
    assert field_tag(page, "phone") is None and "consent_sms_marketing" not in page
    page = tapped(client, make_release(make_artist(
        collect_name="off", collect_email="required", collect_phone="optional")))
    assert field_tag(page, "name") is None
    assert " required" in field_tag(page, "email") and 'type="tel"' in field_tag(page, "phone")


def test_form_turned_off_asks_nothing(client, make_artist, make_release):
    page = html(client.get(make_release(make_artist(wrapper_enabled=False, collect_phone="required"))))
    assert field_tag(page, "name") is None and field_tag(page, "email") is None
    assert "consent_" not in page
    assert platform_buttons(page) == ["spotify", "apple_music"]


def test_consent_boxes_are_separate_unticked_and_in_the_artists_words(client, make_artist,
                                                                      make_release):
    page = tapped(client, make_release(make_artist(
        collect_phone="optional", consent_email_text="Mails from us & friends <3",
        consent_sms_text="Texts about tours")))
    boxes = re.findall(r'<input type="checkbox" [^>]*>', page)
    assert len(boxes) == 2 and not any("checked" in box for box in boxes)
    assert 'name="consent_email_marketing" value="1"' in page
    assert 'name="consent_sms_marketing" value="1"' in page
    assert "Mails from us &amp; friends &lt;3" in page and "Texts about tours" in page


def test_honeypot_is_hidden_from_people(client):
    page = tapped(client, "/s/aurora-vale/tonight")
    tag = re.search(r'<input id="f-website"[^>]*>', page).group(0)
    assert 'name="website"' in tag and 'tabindex="-1"' in tag and 'autocomplete="off"' in tag
    assert '<div class="hp" aria-hidden="true">' in page


def test_render_keeps_input_and_shows_errors_inline(app, make_artist, make_release):
    path = make_release(make_artist(collect_phone="optional"))
    from app.views.public.fan_pages import render_details_step
    from app.views.public.lookup import public_release

    with app.test_request_context(path):
        artist, release = public_release(*path.split("/")[2:])
        body, status = render_details_step(
            artist, release, "spotify", status=422,
            values={"name": '"><b>x', "email": "fan@example", "consent_sms_marketing": "1"},
            errors={"email": "That email address looks incomplete", "_form": "Choose again",
                    "platform": "Pick a platform"})
    assert status == 422
    assert 'value="&#34;&gt;&lt;b&gt;x"' in body and 'value="fan@example"' in body
    assert re.search(r'aria-invalid="true" aria-describedby="e-email"', body)
    assert "That email address looks incomplete" in body
    assert "Choose again" in body and "Pick a platform" in body
    assert re.search(r'name="consent_sms_marketing" value="1" checked', body)
    assert not re.search(r'name="consent_email_marketing" value="1" checked', body)


# -- sharing, safety ----------------------------------------------------------------------------

def test_artist_and_fan_text_is_escaped(client, make_artist, make_release):
    path = make_release(make_artist(name="<script>alert(1)</script>"), title="<img src=x onerror=alert(2)>")
    for page in (html(client.get(path)), html(client.get(path.rsplit("/", 1)[0]))):
        assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_share_tags_preview_the_artwork(client):
    page = html(client.get("/s/aurora-vale/tonight"))
    image = re.search(r'<meta property="og:image" content="([^"]+)"', page).group(1)
    assert re.fullmatch(rf"{BASE}/media/[0-9a-f]+\.(?:png|jpg)", image)
    assert f'<meta name="twitter:image" content="{image}">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    assert f'<meta property="og:url" content="{BASE}/s/aurora-vale/tonight">' in page
    assert '<meta property="og:title" content="Midnight Drive — Aurora Vale">' in page


def test_security_headers_and_nonce(client):
    response = client.get("/s/aurora-vale/tonight")
    csp = response.headers["Content-Security-Policy"]
    nonce = re.search(r"script-src 'self' 'nonce-([A-Za-z0-9_-]{16,})'", csp).group(1)
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    page = html(response)
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert re.search(rf'<style nonce="{nonce}">', page)
    assert "style=" not in page  # inline style attributes would need 'unsafe-inline'
    other = client.get("/s/aurora-vale/tonight").headers["Content-Security-Policy"]
    assert nonce not in other


def test_no_url_outside_the_origin(client):
    for path in ("/s/aurora-vale/tonight", "/s/aurora-vale/coming-soon", "/s/aurora-vale/out-now",
                 "/s/aurora-vale"):
        page = html(client.get(path))
        urls = re.findall(r"""(?:https?:)?//[^\s"'<>)]+""", page)
        assert [u for u in urls if not u.startswith(BASE)] == [], path


@pytest.mark.parametrize("app_name", list(UA))
def test_in_app_browsers_get_the_open_in_browser_step(client, app_name):
    page = html(client.get("/s/aurora-vale/tonight", headers={"User-Agent": UA[app_name]}))
    assert "Open in your browser" in page and f"{app_name}'s built-in browser" in page
    assert "Pre-Save on Spotify" not in page and "Remind me on Spotify" in page
    assert '<input type="hidden" name="intent" value="remind">' in page
    assert 'data-copy="http://presave.test/s/aurora-vale/tonight"' in page
    step = tapped(client, "/s/aurora-vale/tonight", headers={"User-Agent": UA[app_name]})
    assert " required" in field_tag(step, "email")  # reminders only: a contact is a must
    assert '<input type="hidden" name="intent" value="remind">' in step


def test_ordinary_browsers_get_the_login(client):
    page = html(client.get("/s/aurora-vale/tonight", headers={"User-Agent": SAFARI}))
    assert "Open in your browser" not in page and "Pre-Save on Spotify" in page


@pytest.mark.parametrize("agent, expected", [
    *((UA[name], name) for name in UA), (SAFARI, None), ("", None), (None, None), ("x" * 100000, None),
    ("Mozilla/5.0 (Linux; Android 14) [FB_IAB/MESSENGER;FBAV/440.0]", "Messenger"),
    ("Mozilla/5.0 (iPhone) Snapchat/12.80.0.38 (like Safari/604.1)", "Snapchat"),
])
def test_in_app_detection(agent, expected):
    assert in_app_browser(agent) == expected


def test_flashed_messages_show_at_the_top(client):
    with client.session_transaction() as session:
        session["_flashes"] = [("fan-success", "Pre-Save Successful! It will be in your library.")]
    page = html(client.get("/s/aurora-vale/tonight"))
    assert re.search(r'<div class="notice notice-success" role="status">', page)
    assert page.index("Pre-Save Successful!") < page.index("<h1")


def test_forms_without_a_csrf_token_are_refused(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post("/s/aurora-vale/tonight/presave", data={"platform": "spotify"})
    assert response.status_code == 400


def test_rate_limited_page_is_friendly(app):
    from flask import render_template

    with app.test_request_context("/s/aurora-vale/tonight"):
        body = render_template("fan/rate_limited.html", retry_after=120)
    assert "Easy there!" in body and "2 minutes" in body


# -- the artist's listing -------------------------------------------------------------------------

def test_artist_page_lists_only_public_releases(client, make_artist, make_release):
    artist = make_artist(name="Listing Artist")
    public = [make_release(artist, status, title=f"Song {status}")
              for status in (ANNOUNCED, PRESAVE_ACTIVE, RELEASED, ARCHIVED)]
    make_release(artist, DRAFT, title="Secret Draft")
    page = html(client.get(f"/s/{artist}"))
    assert "Secret Draft" not in page
    for path in public:
        assert f'href="{path}"' in page


def test_page_and_pre_save_handler_follow_a_credential_change_together(app, client, label,
                                                                      make_artist, make_release,
                                                                      no_sandbox):
    path = make_release(make_artist(collect_name="off", collect_email="off", collect_phone="off"))
    assert "Pre-Save on Spotify" not in html(client.get(path))  # no credentials: reminders
    with app.app_context(), scoped(Scope.platform("test")):
        stored = PlatformCredential(label_id=label, platform="spotify", client_id="label-app")
        stored.set_client_secret(keyring(), "label-secret")
        db.session.add(stored)
        db.session.commit()
        stored_id = stored.id
    try:
        assert "Pre-Save on Spotify" in html(client.get(path))  # at once, not in 30 s
        signing_in = client.post(f"{path}/presave", data={"platform": "spotify"})
        assert signing_in.status_code == 302
        assert signing_in.headers["Location"].startswith("https://accounts.spotify.com/")
    finally:
        with app.app_context(), scoped(Scope.platform("test")):
            db.session.delete(db.session.get(PlatformCredential, stored_id))
            db.session.commit()


def test_every_page_has_an_icon_the_artist_s_own_when_it_has_one(app, client, make_artist,
                                                                  make_release):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert icon.get_data(as_text=True).startswith("<svg")
    plain = html(client.get(make_release(make_artist())))
    assert re.search(r'<link rel="icon" href="/static/favicon\.[0-9a-f]{16}\.svg" '
                     r'type="image/svg\+xml">', plain)
    with app.app_context():
        image = store_image(cover("pair", ("#202020", "#e0e0e0"), size=700))
    with_image = make_artist(image=image)
    page = html(client.get(make_release(with_image)))
    found = re.search(r'<link rel="icon" href="(/media/[0-9a-f]+\.jpg)">', page)
    assert found and client.get(found.group(1)).status_code == 200


def _luminance(hex_color):
    """WCAG 2.2 relative luminance, written here apart from the app's own."""
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _ratio(a, b):
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize("colors", [
    {"text_color": "#777777", "background_color": "#888888", "accent_color": "#ffff00"},
    {"text_color": "#ffffff", "background_color": "#f4efe6", "accent_color": "#e85d3f"},
    {"text_color": "#101010", "background_color": "#0b0b0b", "accent_color": "#202020"},
])
def test_every_colour_pair_on_the_page_reaches_aa_whatever_the_artist_picked(
        client, make_artist, make_release, colors):
    page = html(client.get(make_release(make_artist(primary_color="#1d1d1f", **colors))))
    root = dict(re.findall(r"--([a-z-]+):(#[0-9a-f]{6})", page.split(":root{", 1)[1]
                           .split("}", 1)[0]))
    assert _ratio(root["text"], root["bg"]) >= 4.5, root
    assert _ratio(root["on-accent"], root["accent"]) >= 4.5, root
    assert _ratio(root["on-highlight"], root["highlight"]) >= 4.5, root
    assert _ratio(root["highlight"], root["bg"]) >= 4.5 or root["highlight"] == root["text"]
    brands = re.findall(r"\.p-([a-z_]+)\{--brand:(#[0-9a-f]{6});--on-brand:(#[0-9a-f]{6})\}",
                        page)
    assert len(brands) >= 2, "the platforms' badges are checked too"
    for key, color, ink in brands:
        assert _ratio(color, ink) >= 4.5, (key, color, ink)
