"""Ad pixels only after consent: a label admin sets the pixels (Account → Ad pixels); every
visitor of a release page is asked first and nothing else loads before an answer; a yes loads
exactly the configured pixels (the response's policy allows their hosts, for it only), a no
loads nothing and is remembered; both are recorded with the words asked. A pre-save after a
yes is a Lead in the page and, from a worker, at Meta's Conversions API and TikTok's Events API
(the sandbox's stand-ins) with the same event id and the fan's email hashed."""
import re

import pytest
from rq import SimpleWorker
from sqlalchemy import select

from app.crypto import keyring
from app.extensions import db, queue, redis_connection
from app.integrations.hashing import hashed_email
from app.jobs import conversions
from app.models import AdPixels, ConversionEvent, CookieChoice, Label, PreSave
from app.sandbox import meta as meta_sandbox, tiktok as tiktok_sandbox
from app.tenants.context import Scope, scoped
from app.views.public.speed import page_version
from tests.ad_pixel_setup import set_pixels
from tests.own_label import begin, finish, new_release, own_label  # noqa: F401

OWNER = "owner@northwind.test"
META_ID = "1234567890123456"
TIKTOK = "C1A2B3C4D5E6F7G8H9I0"
VENDOR = re.compile(r"facebook|tiktok|google", re.I)


def csp(response):
    return response.headers["Content-Security-Policy"]


def answer(client, artist, page, choice):
    return client.post(f"/s/{artist}/cookies", data={"choice": choice, "back": page})


def test_no_pixel_no_question(app, own_label):
    _, artist = own_label
    _, page = new_release(app, artist)
    body = app.test_client().get(page).get_data(as_text=True)
    assert "ads-question" not in body and "ad-pixels" not in body


def test_everyone_is_asked_and_nothing_loads_before_an_answer(app, own_label):
    label_id, artist = own_label
    set_pixels(app, label_id)
    _, page = new_release(app, artist)
    client = app.test_client()
    for _ in range(2):  # the full path, then the page cache
        response = client.get(page, headers={"Accept-Language": "en-US"})
        body = response.get_data(as_text=True)
        assert 'class="ads-question"' in body
        assert "cookies from Meta, TikTok and Google to measure" in body
        assert re.findall(r'name="choice" value="(\w+)"', body) == ["refuse", "accept"]
        assert "ad-pixels" not in body and not VENDOR.search(csp(response))
        assert not re.search(r'<script[^>]+src="https?://', body)


def test_a_yes_loads_exactly_the_configured_pixels_and_is_recorded(app, own_label):
    label_id, artist = own_label
    meta_id, tiktok_code = set_pixels(app, label_id, google=None)
    _, page = new_release(app, artist)
    client = app.test_client()
    said = answer(client, artist, page, "accept")
    assert said.status_code == 303 and said.headers["Location"].endswith(page)
    for _ in range(2):
        response = client.get(page)
        body = response.get_data(as_text=True)
        assert "ads-question" not in body
        data = re.search(r'<script type="application/json" id="ad-pixels"[^>]*>(.*?)</script>',
                         body).group(1)
        assert meta_id in data and tiktok_code in data and "G-" not in data
        policy = csp(response)
        assert "https://connect.facebook.net" in policy and "https://analytics.tiktok.com" in policy
        assert "googletagmanager" not in policy
    other = app.test_client().get(page)  # someone else has not answered: still asked, no hosts
    assert "ads-question" in other.get_data(as_text=True) and not VENDOR.search(csp(other))
    with app.app_context(), scoped(Scope.label(label_id)):
        (choice,) = db.session.scalars(select(CookieChoice)).all()
        assert choice.choice == "accepted" and "cookies from Meta and TikTok to measure" in choice.wording
        assert len(choice.visitor_hash) == 64 and choice.language == "en"


def test_a_no_loads_nothing_and_is_remembered(app, own_label):
    label_id, artist = own_label
    set_pixels(app, label_id)
    _, page = new_release(app, artist)
    client = app.test_client()
    assert answer(client, artist, page, "refuse").status_code == 303
    for _ in range(2):
        response = client.get(page)
        body = response.get_data(as_text=True)
        assert "ads-question" not in body and "ad-pixels" not in body
        assert not VENDOR.search(csp(response))
    with app.app_context(), scoped(Scope.label(label_id)):
        assert db.session.scalars(select(CookieChoice.choice)).all() == ["refused"]
    body = client.get(page).get_data(as_text=True)
    assert 'name="choice" value="reset"' in body  # "Cookie choices": one tap to ask again
    assert answer(client, artist, page, "reset").status_code == 303
    assert 'class="ads-question"' in client.get(page).get_data(as_text=True)


@pytest.mark.parametrize("back", ["https://evil.example/", "//evil.example/x", "/admin",
                                  "/s/someone-else/x", "/s/{artist}/..\\..\\x",
                                  "/s/{artist}/\nSet-Cookie: x=1", "/s/{artist}/caf\u00e9"])
def test_the_answer_goes_back_only_to_the_artists_pages(app, own_label, back):
    label_id, artist = own_label
    set_pixels(app, label_id)
    said = app.test_client().post(f"/s/{artist}/cookies",
                                  data={"choice": "refuse", "back": back.format(artist=artist)})
    assert said.status_code == 303 and said.headers["Location"].endswith(f"/s/{artist}")


def drain_conversions(app):
    with app.app_context():
        SimpleWorker([queue(conversions.QUEUE)], connection=redis_connection()).work(burst=True)


def test_a_presave_after_a_yes_is_one_lead_everywhere_with_the_same_id(app, own_label):
    label_id, artist = own_label
    meta_id, tiktok_code = set_pixels(app, label_id)
    _, page = new_release(app, artist)
    email = "Fan.One@Example.com"
    fan, authorize = begin(app, page, email=email)
    answer(fan, artist, page, "accept")
    finish(fan, authorize)
    body = fan.get(page).get_data(as_text=True)  # the page the fan comes back to
    with app.app_context(), scoped(Scope.label(label_id)):
        presave_id = db.session.scalars(select(PreSave.id)).one()
    lead = f"presave-{presave_id}"
    assert f'"leads": ["{lead}"]' in body or f'"leads":["{lead}"]' in body
    drain_conversions(app)
    with app.app_context():
        (meta,) = meta_sandbox.received(meta_id)
        (tiktok,) = tiktok_sandbox.received(tiktok_code)
    assert meta["event"]["event_id"] == lead and meta["event"]["event_name"] == "Lead"
    assert meta["event"]["user_data"]["em"] == [hashed_email(email)]
    assert tiktok["event"]["event_id"] == lead
    assert tiktok["event"]["user"]["email"] == hashed_email(email)
    assert "example.com" not in repr(meta).lower() + repr(tiktok).lower()
    with app.app_context(), scoped(Scope.label(label_id)):
        rows = db.session.scalars(select(ConversionEvent).order_by(ConversionEvent.service)).all()
        assert [(r.service, r.state, r.event_id, r.sent_fields) for r in rows] == [
            ("meta", "sent", lead, "em"), ("tiktok", "sent", lead, "em")]
    assert fan.get(page).get_data(as_text=True).count(lead) == 0  # the Lead fires once


def test_no_yes_no_conversion(app, own_label):
    label_id, artist = own_label
    meta_id, tiktok_code = set_pixels(app, label_id)
    _, page = new_release(app, artist)
    for choice in (None, "refuse"):
        fan, authorize = begin(app, page, email="quiet@example.com")
        if choice:
            answer(fan, artist, page, choice)
        finish(fan, authorize)
        assert "ad-pixels" not in fan.get(page).get_data(as_text=True)
    drain_conversions(app)
    with app.app_context():
        assert meta_sandbox.received(meta_id) == tiktok_sandbox.received(tiktok_code) == []
    with app.app_context(), scoped(Scope.label(label_id)):
        assert db.session.scalars(select(ConversionEvent)).all() == []


def test_the_label_admin_sets_pixels_and_tokens_stay_sealed(app, login):
    with app.app_context(), scoped(Scope.platform("test")):
        label_id = db.session.scalars(select(Label.id).where(Label.slug == "northwind")).one()
    admin = login(OWNER)
    try:
        bad = admin.post("/ad-pixels/save", data={"meta_pixel_id": "12ab", "tiktok_pixel_code": "",
                                                  "google_tag_id": "UA-1"})
        assert bad.status_code == 422
        text = bad.get_data(as_text=True)
        assert "A Meta Pixel id looks like this" in text and "A Google tag id looks like" in text
        good = admin.post("/ad-pixels/save", data={
            "meta_pixel_id": META_ID, "tiktok_pixel_code": TIKTOK.lower(), "google_tag_id": "",
            "meta_token": "EAAB-secret-token"})
        assert good.status_code == 302
        with app.app_context(), scoped(Scope.label(label_id)):
            row = db.session.scalars(select(AdPixels).where(AdPixels.artist_id.is_(None))).one()
            assert (row.meta_pixel_id, row.tiktok_pixel_code, row.google_tag_id) == (
                META_ID, TIKTOK, None)
            assert "EAAB-secret-token" not in (row.meta_token_sealed or "")
            assert row.token(keyring(), "meta") == "EAAB-secret-token"
        page = admin.get("/ad-pixels/").get_data(as_text=True)
        assert "EAAB-secret-token" not in page and META_ID in page
        assert login("staff@northwind.test").get("/ad-pixels/").status_code in (302, 403)
    finally:
        with app.app_context(), scoped(Scope.platform("test")):
            for row in db.session.scalars(select(AdPixels).where(AdPixels.label_id == label_id)):
                db.session.delete(row)
            db.session.commit()
            page_version.bump()


def test_a_service_added_after_a_yes_is_asked_about_first(app, own_label):
    label_id, artist = own_label
    set_pixels(app, label_id, google=None)
    with app.app_context(), scoped(Scope.label(label_id)):
        row = db.session.scalars(select(AdPixels)).one()
        tiktok_code, row.tiktok_pixel_code = row.tiktok_pixel_code, None
        db.session.commit()
        page_version.bump()
    _, page = new_release(app, artist)
    client = app.test_client()
    answer(client, artist, page, "accept")  # to Meta only
    assert "ad-pixels" in client.get(page).get_data(as_text=True)
    with app.app_context(), scoped(Scope.label(label_id)):
        db.session.scalars(select(AdPixels)).one().tiktok_pixel_code = tiktok_code
        db.session.commit()
        page_version.bump()
    body = client.get(page).get_data(as_text=True)
    assert 'class="ads-question"' in body and "ad-pixels" not in body
    assert "cookies from Meta and TikTok" in body
