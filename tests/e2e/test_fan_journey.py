"""The fan journey in a real browser at phone size: the platform's tap, then the data wrapper
the artist asks for, the sandbox's consent page, the way back, one-click reuse, refusals, the in-app browser fallback and Apple's MusicKit.

Each test makes its own pre-save-active release(s) of a demo artist and checks the database
afterwards. Screenshots go to test-results/screens/journey-*.png and /tmp/presave-screens/.
"""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Artist, Consent, Fan, PreSave, Release
from app.tenants.context import Scope, scoped
from tests.e2e.screens import shoot
from tests.fan_journey import counts

pytestmark = pytest.mark.usefixtures("served_here")

ARTIST = "aurora-vale"
SPOTIFY = "Pre-Save on Spotify"
APPLE = "Pre-Add on Apple Music"
SUCCESS = "You're set, Ada"  # the page after a pre-save says what happens next
INSTAGRAM = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Mobile/15E148 Instagram 300.0.0.0.0")


# --- the fan's side ------------------------------------------------------------------

def screen(page, step):
    shoot(page, f"journey-{step}", Path("/tmp/presave-screens"))


def open_release(page, live_server, slug):
    response = page.goto(f"{live_server}/s/{ARTIST}/{slug}")
    assert response.status == 200
    return page


def fill_wrapper(page, email, name="Ada Fan", consent=True):
    page.locator("#f-name").fill(name)
    page.locator("#f-email").fill(email)
    if consent:
        page.locator("#c-consent_email_marketing").check()


def press(page, button):
    page.get_by_role("button", name=button).click()


def answer_sandbox(page, decision, step=None):
    """On the sandbox's Spotify consent page, press Agree or Cancel; wait to be back."""
    expect(page).to_have_url(re.compile(r"/sandbox/spotify/authorize\?"))
    expect(page.get_by_role("heading", name="Spotify")).to_be_visible()
    if step:
        screen(page, step)
    page.get_by_role("button", name=decision).click()
    page.wait_for_url(re.compile(rf"/s/{ARTIST}/[^/?]+$"))


def notice(page):
    return page.locator(".notice")


def done(page):
    """The panel a fan who pre-saved this release sees in place of the buttons."""
    return page.locator(".done")


def record_navigations(page):
    """Every page the tab loads from now on, each redirect hop included (not scripts, images)."""
    seen = []
    page.on("request", lambda request: seen.append(request.url)
            if request.is_navigation_request() else None)
    page.on("framenavigated", lambda frame: seen.append(frame.url)
            if frame == page.main_frame else None)
    return seen


def record_requests(page):
    """Every URL the page asks for from now on: navigations, scripts, fetches."""
    seen = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def sandbox_pages(urls):
    return [url for url in urls if "/sandbox/" in url]


def tap(page, live_server, slug, button):
    """Open the release and tap a platform: the artist's details step comes after the tap."""
    open_release(page, live_server, slug)
    press(page, button)
    expect(page.locator("h1.step-title")).to_have_text(button)


def presave_on_spotify(page, live_server, slug, email, shots=None):
    """The whole first-time journey: Spotify, the wrapper and consent, Agree on the sandbox."""
    if shots:
        open_release(page, live_server, slug)
        screen(page, f"{shots}-page")
    tap(page, live_server, slug, SPOTIFY)
    fill_wrapper(page, email)
    if shots:
        screen(page, f"{shots}-details")
    press(page, SPOTIFY)
    answer_sandbox(page, "Agree", step=f"{shots}-sandbox" if shots else None)


def expect_email_refused_inline(page, value):
    """The server's refusal sits next to the field, in view, with what the fan typed kept."""
    email, error = page.locator("#f-email"), page.locator("#e-email")
    expect(error).to_contain_text("doesn't look right")
    expect(email).to_be_focused()  # the page reloads at the top: the field is brought to the fan
    expect(error).to_be_in_viewport()
    expect(email).to_have_value(value)
    expect(email).to_have_attribute("aria-describedby", "e-email")
    expect(page.locator("#f-name")).to_have_value("Ada Fan")
    expect(page.locator("#c-consent_email_marketing")).to_be_checked()
    assert error.evaluate("(p, input) => p.parentElement === input.parentElement",
                          email.element_handle())


# --- what was stored ------------------------------------------------------------------

def stored(app, email):
    """The fan with this email as plain data (None when absent): consents and pre-saves."""
    with app.app_context(), scoped(Scope.platform()):
        fan = db.session.scalars(select(Fan).where(Fan.email == email)).one_or_none()
        if fan is None:
            return None
        consents = db.session.scalars(select(Consent).where(Consent.fan_id == fan.id)).all()
        presaves = db.session.execute(
            select(Release.slug, PreSave.platform, PreSave.action, PreSave.state)
            .join(Release, Release.id == PreSave.release_id)
            .where(PreSave.fan_id == fan.id)).all()
        return {"name": fan.name, "consents": sorted(c.purpose for c in consents),
                "presaves": sorted(tuple(row) for row in presaves)}


def presaves_of(app, slug):
    with app.app_context(), scoped(Scope.platform()):
        release_id = db.session.scalars(select(Release.id).where(Release.slug == slug)).one()
    return counts(app, PreSave, release_id=release_id)


# --- the journeys ---------------------------------------------------------------------

def test_first_presave_goes_through_the_sandbox_and_is_stored(app, live_server, open_page,
                                                              active_release, unique):
    slug, email = active_release(ARTIST), f"{unique('fan')}@example.com"
    page = open_page("phone")
    presave_on_spotify(page, live_server, slug, email, shots="spotify")
    expect(done(page)).to_contain_text(SUCCESS)
    expect(done(page)).to_contain_text("added to your Spotify library")
    expect(page.get_by_role("button", name="Share this page")).to_be_visible()
    expect(notice(page)).to_have_count(0)  # the panel says it: no message above it too
    screen(page, "spotify-success")
    desktop = open_page("desktop")
    open_release(desktop, live_server, slug)
    screen(desktop, "presave-desktop")
    assert stored(app, email) == {"name": "Ada Fan", "consents": ["email_marketing"],
                                  "presaves": [(slug, "spotify", "save", "pending")]}


def test_another_release_of_the_same_artist_is_one_click(app, live_server, open_page,
                                                         active_release, unique):
    first, second = active_release(ARTIST), active_release(ARTIST)
    email = f"{unique('fan')}@example.com"
    page = open_page("phone")
    presave_on_spotify(page, live_server, first, email)
    expect(done(page)).to_contain_text(SUCCESS)
    open_release(page, live_server, second)
    navigations = record_navigations(page)
    press(page, SPOTIFY)
    expect(done(page)).to_contain_text(SUCCESS)
    screen(page, "one-click-success")
    assert any(url.endswith(f"/{second}/presave") for url in navigations), navigations
    assert sandbox_pages(navigations) == []
    assert stored(app, email)["presaves"] == sorted([(first, "spotify", "save", "pending"),
                                                     (second, "spotify", "save", "pending")])


def test_cancel_on_the_sandbox_brings_the_fan_back_and_stores_nothing(app, live_server,
                                                                     open_page, active_release,
                                                                     unique):
    slug, email = active_release(ARTIST), f"{unique('fan')}@example.com"
    page = open_page("phone")
    tap(page, live_server, slug, SPOTIFY)
    fill_wrapper(page, email)
    press(page, SPOTIFY)
    answer_sandbox(page, "Cancel")
    expect(notice(page)).to_contain_text("You cancelled the Spotify sign-in, so nothing was saved")
    expect(notice(page)).to_have_attribute("role", "alert")
    screen(page, "cancelled")
    assert stored(app, email) is None
    assert presaves_of(app, slug) == 0


def test_an_invalid_email_is_refused_next_to_the_field_and_kept(app, live_server, open_page,
                                                                active_release):
    slug = active_release(ARTIST)
    page = open_page("phone")
    tap(page, live_server, slug, SPOTIFY)
    fill_wrapper(page, "not-an-email")
    # The browser refuses first (type=email): nothing leaves the page.
    navigations = record_navigations(page)
    press(page, SPOTIFY)
    assert page.locator("#f-email").evaluate("input => input.validity.typeMismatch")
    assert navigations == []
    # Without the browser's check (old browsers, scripts), the server refuses it inline.
    page.locator("form.presave-form").evaluate("form => { form.noValidate = true; }")
    press(page, SPOTIFY)
    expect_email_refused_inline(page, "not-an-email")
    screen(page, "invalid-email")
    assert stored(app, "not-an-email") is None
    assert presaves_of(app, slug) == 0


def test_an_email_the_browser_accepts_but_the_server_refuses(app, live_server, open_page,
                                                            active_release):
    slug = active_release(ARTIST)
    page = open_page("phone")
    tap(page, live_server, slug, SPOTIFY)
    fill_wrapper(page, "ada@localhost")  # valid for type=email; no domain to deliver to
    press(page, SPOTIFY)
    expect_email_refused_inline(page, "ada@localhost")
    assert stored(app, "ada@localhost") is None
    assert presaves_of(app, slug) == 0


def test_an_in_app_browser_gets_the_open_in_browser_step_and_reminders(app, live_server,
                                                                       open_page, active_release,
                                                                       unique):
    slug, email = active_release(ARTIST), f"{unique('fan')}@example.com"
    page = open_page("phone", user_agent=INSTAGRAM)
    open_release(page, live_server, slug)
    expect(page.get_by_role("heading", name="Open in your browser")).to_be_visible()
    expect(page.get_by_role("button", name=SPOTIFY)).to_have_count(0)
    reminders = page.get_by_role("button", name=re.compile("^Remind me on "))
    expect(reminders).to_have_count(6)
    screen(page, "instagram-before")
    navigations = record_navigations(page)
    reminders.first.click()
    expect(page.locator("h1.step-title")).to_have_text("Remind me on Spotify")
    page.locator("#f-name").fill("Ada Fan")
    page.locator("#f-email").fill(email)
    screen(page, "instagram-details")
    press(page, "Remind me on Spotify")  # the reminder is the one message asked for
    expect(done(page)).to_contain_text("we send you the link to play it on Spotify")
    screen(page, "instagram-reminder")
    assert sandbox_pages(navigations) == []
    assert stored(app, email) == {"name": "Ada Fan", "consents": ["release_reminder"],
                                  "presaves": [(slug, "spotify", "remind", "pending")]}


def test_apple_music_pre_add_with_the_musickit_stand_in(app, live_server, open_page,
                                                        active_release, unique):
    slug, email = active_release(ARTIST), f"{unique('fan')}@example.com"
    page = open_page("phone")
    tap(page, live_server, slug, APPLE)  # the artist asks details: MusicKit signs in after them
    apple = page.get_by_role("button", name=APPLE)
    expect(apple).to_have_attribute("data-musickit", "")
    page.wait_for_function("() => window.MusicKit && window.MusicKit.sandbox === true")
    fill_wrapper(page, email)
    requests, navigations = record_requests(page), record_navigations(page)
    apple.click()
    expect(done(page)).to_contain_text(SUCCESS)
    expect(done(page)).to_contain_text("Apple Music library")
    screen(page, "apple-success")
    assert any(url.endswith("/sandbox/apple_music/musickit/authorize") for url in requests)
    assert sandbox_pages(navigations) == []  # no sign-in page: the stand-in hands a token back
    assert stored(app, email)["presaves"] == [(slug, "apple_music", "save", "pending")]


@pytest.fixture
def artist_asking_nothing(app, unique):
    """An artist of the demo label whose page asks no details (the wrapper switched off)."""
    with app.app_context(), scoped(Scope.platform("test")):
        label_id = db.session.scalars(select(Artist.label_id).where(Artist.slug == ARTIST)).one()
        artist = Artist(label_id=label_id, name="Quiet Harbour", slug=unique("quiet"),
                        timezone="Europe/London", wrapper_enabled=False)
        db.session.add(artist)
        db.session.commit()
        return artist.slug


def test_with_no_details_asked_the_tap_goes_straight_to_the_sign_in(app, live_server, open_page,
                                                                    active_release,
                                                                    artist_asking_nothing):
    slug = active_release(artist_asking_nothing)
    page = open_page("phone")
    assert page.goto(f"{live_server}/s/{artist_asking_nothing}/{slug}").status == 200
    landed = []  # the pages the tab shows (a redirect's hops are not shown)
    page.on("framenavigated", lambda frame: landed.append(frame.url)
            if frame == page.main_frame else None)
    press(page, SPOTIFY)
    expect(page).to_have_url(re.compile(r"/sandbox/spotify/authorize\?"))
    assert not [url for url in landed if url.endswith("/presave")], "no details step shown"
    page.get_by_role("button", name="Agree").click()
    page.wait_for_url(f"{live_server}/s/{artist_asking_nothing}/{slug}")
    expect(done(page)).to_contain_text("You're set")
    expect(done(page)).to_contain_text("added to your Spotify library")
    expect(page.get_by_role("button", name="Share this page")).to_be_visible()
    screen(page, "no-details-success")
    with app.app_context(), scoped(Scope.platform()):
        release_id = db.session.scalars(select(Release.id).where(Release.slug == slug)).one()
        rows = db.session.execute(select(PreSave.platform, PreSave.state, Fan.email).join(
            Fan, Fan.id == PreSave.fan_id).where(PreSave.release_id == release_id)).all()
    assert [tuple(r) for r in rows] == [("spotify", "pending", None)]
