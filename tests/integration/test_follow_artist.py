"""Following the artist, through HTTP and the sandbox: never done at the sign-in; after the
pre-save each platform whose API can follow (Spotify, Deezer, TIDAL) is its own one-tap button,
the fan's choice recorded with its words, shown on their page and not offered again."""
import random
import re
import string
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.localtime import now_utc
from app.models import Artist, Authorization, Consent
from app.sandbox import state as sandbox
from app.tenants.context import Scope, scoped
from tests.fan_journey import flashes, sandbox_decision
from tests.own_label import new_release

def artist_ids():
    """Ids of the test's own, so that the sandbox's follows of other runs do not count."""
    return {"spotify": "".join(random.choices(string.ascii_letters + string.digits, k=22)),
            "deezer": str(random.randint(10**6, 10**11)),
            "tidal": str(random.randint(10**6, 10**11))}


def set_artist(app, slug, offer, ids):
    with app.app_context(), scoped(Scope.platform("test")):
        db.session.execute(update(Artist).where(Artist.slug == slug).values(
            offer_follow=offer, platform_ids=ids))
        db.session.commit()


def connect(app, page, platform):
    """A new fan pre-saves on ``platform``; (their browser, the authorize URL it went to)."""
    fan = app.test_client()
    going = fan.post(page + "/presave", data={"platform": platform, "email": "", "name": "",
                                              "phone": ""})
    assert going.status_code == 302
    done = fan.get(sandbox_decision(fan, going.headers["Location"]))
    assert done.status_code == 302
    return fan, going.headers["Location"]


def follow_buttons(html):
    return re.findall(r'name="platform" value="([a-z_]+)">\s*<button type="submit" '
                      r'class="btn-secondary">Follow on ([^<]+)</button>', html)


def follows(platform, artist_id):
    return [entry for entry in sandbox.saves(platform)
            if entry["kind"] == "artist" and entry["id"] == artist_id]


@pytest.mark.parametrize("platform,name", [("spotify", "Spotify"), ("deezer", "Deezer"),
                                           ("tidal", "TIDAL")])
def test_each_platform_is_its_own_tap_after_the_pre_save_never_done_at_sign_in(
        app, own_label, platform, name):
    label_id, artist_slug = own_label
    ids = artist_ids()
    set_artist(app, artist_slug, True, ids)
    _, page = new_release(app, artist_slug, platforms=("spotify", "deezer", "tidal"))
    fan, authorize = connect(app, page, platform)
    if platform == "spotify":  # its follow needs a scope of its own, asked with the sign-in
        assert "user-follow-modify" in authorize
    with app.app_context():
        assert follows(platform, ids[platform]) == []  # nothing done for them
    assert not any("You now follow" in said for said in flashes(fan))

    shown = fan.get(page).get_data(as_text=True)
    assert follow_buttons(shown) == [(platform, name)]  # only where they connected
    followed = fan.post(page + "/follow", data={"platform": platform})
    assert followed.status_code == 302
    assert f"You now follow Allow List on {name}." in flashes(fan)
    with app.app_context():
        assert len(follows(platform, ids[platform])) == 1
    assert follow_buttons(fan.get(page).get_data(as_text=True)) == []
    assert fan.post(page + "/follow", data={"platform": platform}).status_code == 400
    mine = fan.get(f"/s/{artist_slug}/me").get_data(as_text=True)
    assert f"Follow Allow List on {name} from my account." in mine
    with app.app_context(), scoped(Scope.label(label_id)):
        consent = db.session.scalars(select(Consent).where(
            Consent.purpose == f"follow_{platform}",
            Consent.wording == f"Follow Allow List on {name} from my account.")).one()
        assert consent.ip_hash and consent.withdrawn_at is None


def test_nothing_is_offered_or_followed_unless_the_artist_offers_it_with_an_id(app, own_label):
    _, artist_slug = own_label
    ids = artist_ids()
    set_artist(app, artist_slug, False, ids)
    _, page = new_release(app, artist_slug, platforms=("spotify", "deezer"))
    fan, authorize = connect(app, page, "spotify")
    assert "user-follow-modify" not in authorize
    assert follow_buttons(fan.get(page).get_data(as_text=True)) == []
    assert fan.post(page + "/follow", data={"platform": "spotify"}).status_code == 400
    with app.app_context():
        assert follows("spotify", ids["spotify"]) == []

    set_artist(app, artist_slug, True, {"deezer": ids["deezer"]})  # offered, no Spotify id
    deezer_fan, _ = connect(app, page, "deezer")
    assert follow_buttons(deezer_fan.get(page).get_data(as_text=True)) == [("deezer", "Deezer")]
    assert deezer_fan.post(page + "/follow", data={"platform": "spotify"}).status_code == 400
    assert app.test_client().post(page + "/follow",
                                  data={"platform": "deezer"}).status_code == 403


def test_a_permission_that_has_ended_says_to_reconnect_and_follows_nothing(app, own_label):
    label_id, artist_slug = own_label
    ids = artist_ids()
    set_artist(app, artist_slug, True, ids)
    _, page = new_release(app, artist_slug, platforms=("spotify",))
    fan, _ = connect(app, page, "spotify")
    with app.app_context(), scoped(Scope.label(label_id)):
        grant = db.session.scalars(select(Authorization)).one()
        user = grant.platform_user_id
        grant.expires_at = now_utc() - timedelta(minutes=5)  # its access token is used up
        db.session.commit()
    revoked = app.test_client().post("/sandbox/_admin/spotify/tokens/revoke",
                                     json={"user": user})
    assert revoked.status_code == 200
    assert fan.post(page + "/follow", data={"platform": "spotify"}).status_code == 302
    assert ("Your Spotify permission has ended, so we couldn't follow Allow List for you. "
            "Pre-save again on Spotify to reconnect.") in flashes(fan)
    with app.app_context():
        assert follows("spotify", ids["spotify"]) == []
