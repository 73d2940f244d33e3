"""The release page's body cache through HTTP: what a body depends on is in its key, and what
differs per request (nonce, CSRF token, countdown, the fan's own Stream Now order) never
comes from another request."""
import json
import re
import uuid
from datetime import datetime, timedelta

import pytest

from app.releases import rules as release_rules
from app.analytics import capture
from app.extensions import db, redis_connection
from app.localtime import frozen, now_utc
from app.models import Artist, Label, Release
from app.tenants.context import Scope, scoped
from app.views.public.speed.page_cache import CSRF, NONCE, NOW, PARTS, cache
from tests.stream_pages import MUMBAI, NEW_YORK, NOWHERE, TOKYO, visitor

SECOND = timedelta(seconds=1)
INSTAGRAM = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Mobile/15E148 Instagram 329.0.3.29.120 (iPhone14,5; iOS 17_4)")


@pytest.fixture(autouse=True)
def empty_cache(app):
    with app.app_context():
        cache().clear()


def get(client, path, address=NOWHERE, **kwargs):
    return client.get(path, **visitor(address), **kwargs)


def text(response):
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def found(pattern, page):
    match = re.search(pattern, page)
    return match.group(1) if match else None


def csrf(page):
    return found(r'name="csrf_token" value="([^"]+)"', page)


def countdown(page):
    numbers = re.findall(r'data-unit="[a-z]+">(\d+)<', page)
    return numbers, found(r'data-now="([^"]+)"', page)


def edit(app, model, row_id, **values):
    with app.app_context(), scoped(Scope.platform("test")):
        row = db.session.get(model, row_id)
        for name, value in values.items():
            setattr(row, name, value)
        db.session.commit()


def artist_of(app, release_id):
    with app.app_context(), scoped(Scope.platform("test")):
        return db.session.get(Release, release_id).artist_id


def test_a_staff_edit_shows_at_once_even_within_one_instant(app, client, make_release):
    path, release_id, out = make_release(title="Blue Hour")
    with frozen(out - timedelta(days=1)):  # one instant: updated_at cannot tell the edits apart
        assert "Blue Hour" in text(get(client, path))
        assert "Blue Hour" in text(get(client, path))
        edit(app, Release, release_id, title="Green Hour")
        page = text(get(client, path))
        assert "Green Hour" in page and "Blue Hour" not in page
        edit(app, Artist, artist_of(app, release_id), accent_color="#aa0044",
             bio="A new bio")
        page = text(get(client, path))
    assert "--accent:#aa0044" in page
    edit(app, Artist, artist_of(app, release_id), accent_color="#1db954", bio=None)


def test_the_page_flips_at_the_instant_with_a_body_kept(client, make_release):
    path, _, out = make_release()
    with frozen(out - 2 * SECOND):
        assert "Pre-Save on Spotify" in text(get(client, path))
    with frozen(out - SECOND):  # the kept body: its entry lasts until the instant at most
        assert "Pre-Save on Spotify" in text(get(client, path))
    with frozen(out):
        page = text(get(client, path))
    assert "Stream Now" in page and "<form" not in page and "data-countdown" not in page


def test_nonce_csrf_and_countdown_are_this_requests(app, client, make_release):
    path, _, out = make_release()
    with frozen(out - timedelta(days=1, seconds=5)):
        first = get(app.test_client(), path)
    with frozen(out - timedelta(days=1)):
        second = get(app.test_client(), path)
    pages = [text(first), text(second)]
    nonces = [found(r'<style nonce="([^"]+)"', page) for page in pages]
    for response, page, nonce in zip((first, second), pages, nonces):
        assert f"'nonce-{nonce}'" in response.headers["Content-Security-Policy"]
        assert set(re.findall(r'nonce="([^"]+)"', page)) == {nonce}  # style block and scripts
    assert nonces[0] != nonces[1] and csrf(pages[0]) != csrf(pages[1])
    assert countdown(pages[0]) == (["01", "00", "00", "05"], (out - timedelta(days=1, seconds=5))
                                   .isoformat())
    assert countdown(pages[1]) == (["01", "00", "00", "00"], (out - timedelta(days=1)).isoformat())
    assert not any(marker in page for marker in (NONCE, CSRF, NOW, *PARTS) for page in pages)


def test_the_cached_pages_csrf_token_is_the_visitors_own(app, make_release, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    path, _, out = make_release()
    ada, bob = app.test_client(), app.test_client()
    with frozen(out - timedelta(days=1)):
        ada_token, bob_token = csrf(text(get(ada, path))), csrf(text(get(bob, path)))
        bad_email = {"platform": "deezer", "email": "not an email"}
        own = ada.post(path + "/presave", data={**bad_email, "csrf_token": ada_token},
                       **visitor(NOWHERE))
        swapped = ada.post(path + "/presave", data={**bad_email, "csrf_token": bob_token},
                           **visitor(NOWHERE))
    assert own.status_code == 422 and "not an email" in own.get_data(as_text=True)
    assert swapped.status_code == 400


def test_a_form_put_back_and_flashed_messages_stay_with_their_visitor(app, client, make_release):
    path, _, out = make_release()
    with frozen(out - timedelta(days=1)):
        text(get(client, path))
        refused = client.post(path + "/presave", data={"platform": "deezer",
                                                       "email": "ada-at-example"},
                              **visitor(NOWHERE))
        assert refused.status_code == 422 and "ada-at-example" in refused.get_data(as_text=True)
        with client.session_transaction() as session:
            session["_flashes"] = [("fan-success", "Pre-Save Successful!")]
        assert "Pre-Save Successful!" in text(get(client, path))
        after = text(get(app.test_client(), path))
    assert "ada-at-example" not in after and "Pre-Save Successful!" not in after


def test_in_app_and_ordinary_browsers_get_their_own_page(app, make_release):
    path, _, out = make_release()
    with frozen(out - timedelta(days=1)):
        in_app = text(app.test_client().get(path, headers={"User-Agent": INSTAGRAM}))
        ordinary = text(get(app.test_client(), path))
        again = text(app.test_client().get(path, headers={"User-Agent": INSTAGRAM}))
    assert "Instagram's built-in browser" in in_app and "Instagram's built-in browser" in again
    assert "built-in browser" not in ordinary


def test_local_mode_visitors_get_their_own_midnight(client, make_release):
    path, _, _ = make_release("2031-05-10T00:00", mode="local")
    tokyo_midnight = datetime.fromisoformat("2031-05-09T15:00:00+00:00")
    with frozen(tokyo_midnight - SECOND):
        pages = [text(get(client, path, address)) for address in (TOKYO, NEW_YORK, TOKYO)]
    targets = [found(r'data-countdown="([^"]+)"', page) for page in pages]
    assert targets == [tokyo_midnight.isoformat(), "2031-05-10T04:00:00+00:00",
                       tokyo_midnight.isoformat()]
    with frozen(tokyo_midnight):
        assert "Stream Now" in text(get(client, path, TOKYO))
        assert "Stream Now" not in text(get(client, path, NEW_YORK))


def test_another_tenants_page_is_never_served_from_the_cache(app, client):
    """Two labels, two artists, one release slug and title: each URL shows its own artist."""
    paths = []
    for name in ("Night Owls", "Day Larks"):
        with app.app_context(), scoped(Scope.platform("test")):
            tag = uuid.uuid4().hex[:8]
            label = Label(name=f"{name} {tag}", slug=f"l-{tag}", timezone="UTC")
            db.session.add(label)
            db.session.flush()
            artist = Artist(label_id=label.id, name=name, slug=f"a-{tag}", timezone="UTC")
            release = Release(artist=artist, label_id=label.id, title="Same Song", slug="same",
                              platforms=["spotify"], status="presave_active")
            now = now_utc().replace(tzinfo=None, microsecond=0)
            release_rules.schedule(release, now - timedelta(days=1), now + timedelta(days=3),
                                   "UTC", must_be_future=False)
            db.session.add_all([artist, release])
            db.session.commit()
            paths.append(f"/s/{artist.slug}/same")
    owls, larks = (text(get(client, path)) for path in paths)
    assert "Night Owls" in owls and "Day Larks" not in owls
    assert "Day Larks" in larks and "Night Owls" not in larks


def test_every_page_view_is_recorded_cached_or_not(app, client, make_release):
    path, release_id, out = make_release()

    def views():
        with app.app_context():
            events = [json.loads(fields[b"e"])
                      for _, fields in redis_connection().xrange(capture.STREAM)]
        return sum(1 for e in events if e["kind"] == "page_view" and e["release_id"] == release_id)
    with frozen(out - timedelta(days=1)):
        for _ in range(3):
            text(get(client, path, MUMBAI))
    assert views() == 3
