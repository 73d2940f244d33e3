"""A fan this browser has pre-saved as: greeted on the artist's next release with their platform
first and one tap, not asked again for what they gave, told what happens after a pre-save, and
told on Stream Now that a delivered release is already in their library."""
import re

from sqlalchemy import select, update

from app.extensions import db
from app.models import Artist, Fan, PreSave, Release
from app.models.presave import DELIVERED
from app.models.release import RELEASED
from app.tenants.context import Scope, scoped
from tests.fan_journey import local, page, sandbox_decision, start


def html(response):
    return response.get_data(as_text=True)


def row_labels(text):
    return re.findall(r'class="pbtn[^"]*"[^>]*aria-label="([^"]+)"', text)


def presaved(client, slug, unique, platform="spotify"):
    email = f"{unique('back')}@example.com"
    going = start(client, slug, platform=platform, name="Maya Lindqvist", email=email,
                  consent_email_marketing="1")
    assert going.status_code == 302
    back = client.get(sandbox_decision(client, going.headers["Location"]))
    assert back.status_code == 302
    return email


def test_after_the_pre_save_the_page_says_what_happens_and_offers_the_rest(
        client, active_release, unique):
    slug = active_release()
    presaved(client, slug, unique)
    text = html(client.get(page(slug)))
    assert "Pre-Save Successful!" not in text, "the panel says it: no message above it too"
    assert "You're set, Maya" in text
    assert "is added to your Spotify library the moment it&#39;s out" in text
    assert 'data-share data-copy="' in text and "More from Aurora Vale" in text
    others = text[text.index('id="others-heading"'):]
    assert "Spotify" not in row_labels(others)[0] and len(row_labels(others)) == 5
    assert "Be the first to hear it" not in text  # not the page for a new visitor
    again = html(client.get(page(slug)))  # no message any more: still the fan's own page
    assert "You're set, Maya" in again


def test_the_next_release_greets_the_fan_and_pre_saves_in_one_tap(
        app, client, active_release, unique):
    first, second = active_release(), active_release()
    app.test_client().get(page(second))  # a new visitor's view: the fast lane keeps the page
    email = presaved(client, first, unique)
    text = html(client.get(page(second)))
    assert "Welcome back, Maya: one tap pre-saves on Spotify." in text
    assert row_labels(text)[0] == "Pre-Save on Spotify"
    assert "Connected: one tap" in text
    one_tap = client.post(page(second) + "/presave", data={"platform": "spotify"})
    assert one_tap.status_code == 302 and local(one_tap.headers["Location"]) == page(second)
    with app.app_context(), scoped(Scope.platform()):
        fan = db.session.scalars(select(Fan).where(Fan.email == email)).one()
        assert sorted(db.session.scalars(select(Release.slug).join(
            PreSave, PreSave.release_id == Release.id).where(PreSave.fan_id == fan.id))) == \
            sorted([first, second])


def test_another_platform_does_not_ask_again_for_details_given(client, active_release, unique):
    first, second = active_release(), active_release()
    presaved(client, first, unique)
    tap = client.post(page(second) + "/presave", data={"platform": "deezer"})
    assert tap.status_code == 302, "no details step: name and email were given"
    assert "/sandbox/deezer/authorize" in tap.headers["Location"]


def test_a_new_browser_is_still_asked_for_details(client, app, active_release, unique):
    first, second = active_release(), active_release()
    presaved(client, first, unique)
    stranger = app.test_client()
    step = stranger.post(page(second) + "/presave", data={"platform": "deezer"})
    assert step.status_code == 200 and 'id="f-email"' in html(step)
    assert "Welcome back" not in html(stranger.get(page(second)))


def test_stream_now_tells_a_delivered_fan_it_is_in_their_library(app, client, active_release,
                                                                 unique):
    slug = active_release()
    email = presaved(client, slug, unique)
    with app.app_context(), scoped(Scope.platform("test")):
        release = db.session.scalars(select(Release).where(Release.slug == slug)).one()
        fan = db.session.scalars(select(Fan).where(Fan.email == email)).one()
        db.session.execute(update(PreSave).where(PreSave.fan_id == fan.id).values(state=DELIVERED))
        release.status = RELEASED
        db.session.commit()
    text = html(client.get(page(slug)))
    assert "“Flow Song” is already in your Spotify library." in text
    assert row_labels(text)[0] == "Play on Spotify"
    assert "In your library" in text
    stranger = html(app.test_client().get(page(slug)))
    assert "already in your" not in stranger and row_labels(stranger)[0] != "Play on Spotify"


def test_after_the_pre_save_the_fan_can_follow_the_artist_where_staff_gave_its_ids(
        app, client, active_release, unique):
    with app.app_context(), scoped(Scope.platform("test")):
        artist = db.session.scalars(select(Artist).where(Artist.slug == "aurora-vale")).one()
        artist_id, kept = artist.id, dict(artist.platform_ids or {})
        artist.platform_ids = {"spotify": "4Z8W4fKeB5YxbusRsdQVPb", "deezer": "27"}
        db.session.commit()
    try:
        slug = active_release()
        assert "Follow Aurora Vale" not in html(client.get(page(slug))), "after the pre-save"
        presaved(client, slug, unique)
        text = html(client.get(page(slug)))
        follow = re.search(r'<p class="follow">(.*?)</p>', text, re.S).group(1)
        assert re.findall(r'href="([^"]+)"[^>]*>([^<]+)<', follow) == [
            ("https://open.spotify.com/artist/4Z8W4fKeB5YxbusRsdQVPb", "Spotify"),
            ("https://www.deezer.com/artist/27", "Deezer")]
    finally:
        with app.app_context(), scoped(Scope.platform("test")):
            db.session.get(Artist, artist_id).platform_ids = kept
            db.session.commit()
