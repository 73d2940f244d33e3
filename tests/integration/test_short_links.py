"""The share kit: a release's short links (/r/<code>) made on the staff release page, sent to the
fan page with their UTM tags, counted (a visitor a day, and the pre-saves of visits through
them) on the release page, the analytics page and the API; their QR codes read back."""
import io
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models import Artist, Event, Release, ShortLink
from app.releases import share_links
from app.tenants.context import Scope, scoped
from tests.event_stream import AMSTERDAM, DESKTOP, IPHONE, MINNEAPOLIS, drain, visitor
from tests.fan_journey import active_release, coming_soon, page, sandbox_decision  # noqa: F401

STAFF = "staff@northwind.test"
ARTIST_USER = "artist@northwind.test"
OTHER_LABEL = "staff@harbor.test"


def release_of(app, slug):
    with app.app_context(), scoped(Scope.platform("test")):
        return db.session.scalars(select(Release.id).where(Release.slug == slug)).one()


def links_of(app, release_id):
    with app.app_context(), scoped(Scope.platform("test")):
        return [(link.name, link.code, link.main, link.utm) for link in db.session.scalars(
            select(ShortLink).where(ShortLink.release_id == release_id)
            .order_by(ShortLink.id))]


def make_link(staff, release_id, **form):
    data = {"name": "", "preset": "custom", "utm_source": "", "utm_medium": "",
            "utm_campaign": "", "utm_content": "", **form}
    return staff.post(f"/releases/{release_id}/share-links", data=data)


def code_of(app, release_id, name):
    return next(code for link_name, code, _, _ in links_of(app, release_id) if link_name == name)


@pytest.fixture
def campaign(app, active_release, login):
    """(release slug, release id, staff client) with an Instagram bio link made on its page."""
    slug = active_release("aurora-vale")
    pk = release_of(app, slug)
    staff = login(STAFF)
    made = make_link(staff, pk, name="Instagram bio", preset="instagram_bio")
    assert made.status_code == 302, made.get_data(as_text=True)[-1500:]
    return slug, pk, staff


def test_the_release_page_has_the_fan_pages_short_link_and_makes_named_ones(app, campaign):
    slug, pk, staff = campaign
    body = staff.get(f"/releases/show/{pk}").get_data(as_text=True)
    (main_name, main_code, is_main, main_utm), (name, code, _, utm) = links_of(app, pk)
    assert (main_name, is_main, main_utm) == ("Fan page", True, {})
    assert (name, utm) == ("Instagram bio", {
        "utm_source": "instagram", "utm_medium": "social", "utm_campaign": slug,
        "utm_content": "bio"})
    for link_code in (main_code, code):
        assert re.fullmatch(f"[{share_links.ALPHABET}]{{8}}", link_code)
        assert f'value="{app.config["PUBLIC_BASE_URL"]}/r/{link_code}"' in body
    assert 'id="share-kit"' in body and "<svg" in body and "QR code of Flow Song" in body
    # Reloading the page does not make another fan page link.
    staff.get(f"/releases/show/{pk}")
    assert [link[2] for link in links_of(app, pk)] == [True, False]


def test_a_short_link_sends_the_visitor_to_the_page_with_its_tags(app, campaign, client):
    slug, pk, _ = campaign
    code = code_of(app, pk, "Instagram bio")
    answer = client.get(f"/r/{code}")
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert location.netloc in ("", "localhost") and location.path == page(slug)
    assert dict(parse_qsl(location.query)) == {
        "utm_source": "instagram", "utm_medium": "social", "utm_campaign": slug,
        "utm_content": "bio"}
    assert answer.headers["Cache-Control"] == "private, no-store"
    main = code_of(app, pk, "Fan page")
    assert client.get(f"/r/{main}").headers["Location"].endswith(page(slug))
    assert client.get(answer.headers["Location"]).status_code == 200


@pytest.mark.parametrize("code", ["zzzzzzzz", "abc", "a" * 17, "%00", "..%2Fadmin",
                                  "ABCDEFGH"])
def test_unknown_codes_are_a_404(client, code):
    assert client.get(f"/r/{code}").status_code == (400 if code == "%00" else 404)


def test_a_drafts_links_answer_only_once_it_is_announced(app, login, unique):
    slug = coming_soon(app, unique)
    pk = release_of(app, slug)
    with app.app_context(), scoped(Scope.platform("test")):
        release = db.session.get(Release, pk)
        release.status = "draft"
        code = share_links.main_link(release).code
        db.session.commit()
    assert app.test_client().get(f"/r/{code}").status_code == 404
    body = login(STAFF).get(f"/releases/show/{pk}").get_data(as_text=True)
    assert "short links answer once the release is announced" in body


def test_visits_count_once_a_visitor_a_day_and_pre_saves_go_to_their_link(app, campaign, api,
                                                                           login, unique):
    slug, pk, staff = campaign
    code = code_of(app, pk, "Instagram bio")
    fan = visitor(app, AMSTERDAM, IPHONE)
    for _ in range(3):  # one visitor, three taps on the link
        landing = fan.get(f"/r/{code}", headers={"Referer": "https://www.instagram.com/"})
        assert fan.get(landing.headers["Location"]).status_code == 200
    going = fan.post(page(slug) + "/presave",
                     data={"platform": "spotify", "email": f"{unique('ig')}@example.com"})
    assert fan.get(sandbox_decision(fan, going.headers["Location"])).status_code == 302
    other = visitor(app, MINNEAPOLIS, DESKTOP)
    other.get(f"/r/{code}")
    typed = visitor(app, AMSTERDAM, DESKTOP)  # came straight to the page: not the link's
    typed.get(page(slug))
    going = typed.post(page(slug) + "/presave",
                       data={"platform": "spotify", "email": f"{unique('typed')}@example.com"})
    assert typed.get(sandbox_decision(typed, going.headers["Location"])).status_code == 302
    drain(app)

    client, headers = api(STAFF)
    body = client.get(f"/api/v1/releases/{pk}/analytics", headers=headers).get_json()
    assert [(r["name"], r["main"], r["visits"], r["presaves"]) for r in body["short_links"]] == [
        ("Fan page", True, 0, 0), ("Instagram bio", False, 2, 1)]
    assert body["funnel"]["steps"][3] == {**body["funnel"]["steps"][3], "count": 2}
    assert [(c["utm_source"], c["presaves"]) for c in body["campaigns"]] == [("instagram", 1)]

    panel = staff.get(f"/releases/show/{pk}").get_data(as_text=True)
    row = re.search(rf'<tr data-code="{code}">(.*?)</tr>', panel, re.S).group(1)
    assert re.search(r'share-visits"[^>]*>2<', row) and re.search(r'share-presaves"[^>]*>1<', row)
    analytics = login(STAFF).get(f"/analytics/release/{pk}").get_data(as_text=True)
    assert "Visits and pre-saves per short link" in analytics
    assert re.search(rf'<tr data-code="{code}"><td>Instagram bio</td><td><code>/r/{code}</code>'
                     r'</td><td class="num">2</td><td class="num">1</td>', analytics)


def test_a_link_cookie_of_another_release_credits_nothing(app, campaign, active_release):
    slug, pk, _ = campaign
    elsewhere = active_release("aurora-vale")
    with app.app_context(), scoped(Scope.platform("test")):
        link_id = db.session.scalars(select(ShortLink.id).where(
            ShortLink.release_id == pk, ShortLink.main.is_(False))).one()
        other_pk = db.session.scalars(select(Release.id).where(Release.slug == elsewhere)).one()
    fan = visitor(app, AMSTERDAM, IPHONE)
    fan.set_cookie("presave_link", f"{other_pk}.{link_id}", path="/s/")  # forged: not its link
    assert fan.get(page(elsewhere)).status_code == 200
    fan.set_cookie("presave_link", f"{pk}.999999999", path="/s/")  # no such link
    assert fan.get(page(slug)).status_code == 200
    drain(app)
    with app.app_context(), scoped(Scope.platform("test")):
        linked = db.session.scalars(select(Event.link_id).where(
            Event.release_id.in_([pk, other_pk]), Event.kind == "page_view")).all()
    assert linked == [None, None]


def read_qr(png_bytes):
    image = Image.open(io.BytesIO(png_bytes))
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_qr_codes_read_back_as_the_short_link(app, campaign, login):
    slug, pk, staff = campaign
    with app.app_context(), scoped(Scope.platform("test")):
        ids = dict(db.session.execute(select(ShortLink.name, ShortLink.id)
                                      .where(ShortLink.release_id == pk)).all())
    for name, link_id in ids.items():
        url = f'{app.config["PUBLIC_BASE_URL"]}/r/{code_of(app, pk, name)}'
        png = staff.get(f"/releases/{pk}/share-links/{link_id}/qr.png?download=1")
        assert png.status_code == 200 and png.mimetype == "image/png"
        assert png.headers["Content-Disposition"].startswith("attachment; filename=")
        assert read_qr(png.data) == [url]
        svg = staff.get(f"/releases/{pk}/share-links/{link_id}/qr.svg")
        assert svg.mimetype == "image/svg+xml" and svg.data.lstrip().startswith(b"<?xml")
    # Artist users may look at and download the codes (not make links).
    artist = login(ARTIST_USER)
    assert artist.get(f"/releases/{pk}/share-links/{ids['Fan page']}/qr.png").status_code == 200
    assert staff.get(f"/releases/{pk}/share-links/{ids['Fan page']}/qr.gif").status_code == 404
    assert staff.get(f"/releases/{pk}/share-links/999999/qr.png").status_code == 404
    huge = 10 ** 20  # no key holds it: a 404, not a database error
    assert staff.get(f"/releases/{pk}/share-links/{huge}/qr.png").status_code == 404
    assert staff.post(f"/releases/{pk}/share-links/{huge}/remove").status_code == 302


@pytest.mark.parametrize("primary, accent, ink", [
    ("#5b2a86", "#1db954", "#5b2a86"),  # dark purple: scans, so the code is purple
    ("#ffe14d", "#0b5d1e", "#0b5d1e"),  # light yellow does not; the dark green accent does
    ("#ffe14d", "#9ad0ff", "#000000"),  # neither: black
])
def test_the_code_takes_the_artists_colour_only_where_it_scans(app, campaign, primary, accent,
                                                               ink):
    slug, pk, staff = campaign
    with app.app_context(), scoped(Scope.platform("test")):
        artist = db.session.scalars(select(Artist).where(Artist.slug == "aurora-vale")).one()
        kept = artist.primary_color, artist.accent_color
        artist.primary_color, artist.accent_color = primary, accent
        db.session.commit()
        link_id = db.session.scalars(select(ShortLink.id).where(
            ShortLink.release_id == pk, ShortLink.main.is_(True))).one()
    try:
        svg = staff.get(f"/releases/{pk}/share-links/{link_id}/qr.svg").get_data(as_text=True)
        png = staff.get(f"/releases/{pk}/share-links/{link_id}/qr.png").data
    finally:
        with app.app_context(), scoped(Scope.platform("test")):
            artist = db.session.scalars(select(Artist).where(Artist.slug == "aurora-vale")).one()
            artist.primary_color, artist.accent_color = kept
            db.session.commit()
    drawn = ink if ink != "#000000" else "#000"
    assert f'stroke="{drawn}"' in svg
    pixels = Image.open(io.BytesIO(png)).convert("RGB")
    darkest = min((colour for _, colour in pixels.getcolors(1 << 16)), key=sum)
    assert "#%02x%02x%02x" % darkest == ink
    assert pixels.getpixel((0, 0)) == (255, 255, 255)  # the quiet zone is white
    assert len(read_qr(png)) == 1


@pytest.mark.parametrize("form, message", [
    ({"name": "", "preset": "email"}, "Name the link"),
    ({"name": "Tour\x07poster", "preset": "qr"}, "no tabs or control characters"),
    ({"name": "Poster", "preset": "custom"}, "utm_source"),
    ({"name": "Poster", "preset": "qr", "utm_content": "x" * 121}, "120 characters"),
    ({"name": "Poster", "preset": "bogus"}, "Choose one of the presets"),
    ({"name": "y" * 81, "preset": "qr"}, "80 characters"),
])
def test_a_refused_link_says_why_and_stores_nothing(app, campaign, form, message):
    slug, pk, staff = campaign
    before = links_of(app, pk)
    answer = make_link(staff, pk, **form)
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    assert links_of(app, pk) == before


def test_staff_tags_win_over_the_presets(app, campaign):
    slug, pk, staff = campaign
    made = make_link(staff, pk, name="Spring tour poster", preset="qr",
                     utm_campaign="spring-tour", utm_content="berlin")
    assert made.status_code == 302
    utm = links_of(app, pk)[-1][3]
    assert utm == {"utm_source": "qr", "utm_medium": "print", "utm_campaign": "spring-tour",
                   "utm_content": "berlin"}


def test_removing_a_link_stops_its_code_and_the_fan_pages_own_stays(app, campaign, login):
    slug, pk, staff = campaign
    with app.app_context(), scoped(Scope.platform("test")):
        rows = dict(db.session.execute(select(ShortLink.name, ShortLink.id)
                                       .where(ShortLink.release_id == pk)).all())
    code = code_of(app, pk, "Instagram bio")
    assert login(ARTIST_USER).post(
        f"/releases/{pk}/share-links/{rows['Instagram bio']}/remove").status_code in (302, 403)
    assert app.test_client().get(f"/r/{code}").status_code == 302  # the artist could not
    staff.post(f"/releases/{pk}/share-links/{rows['Fan page']}/remove")
    staff.post(f"/releases/{pk}/share-links/{rows['Instagram bio']}/remove")
    assert [name for name, *_ in links_of(app, pk)] == ["Fan page"]
    assert app.test_client().get(f"/r/{code}").status_code == 404
    body = staff.get(f"/releases/show/{pk}", follow_redirects=True).get_data(as_text=True)
    assert "The fan page&#39;s own short link stays" in body or \
        "The fan page's own short link stays" in body


def test_artist_users_see_the_kit_but_cannot_make_links(app, campaign, login):
    slug, pk, _ = campaign
    artist = login(ARTIST_USER)
    body = artist.get(f"/releases/show/{pk}").get_data(as_text=True)
    assert 'id="share-kit"' in body and "Make link" not in body
    before = links_of(app, pk)
    answer = make_link(artist, pk, name="Sneaky", preset="email")
    assert answer.status_code in (302, 403) and "/login" not in answer.headers.get("Location", "")
    assert links_of(app, pk) == before
