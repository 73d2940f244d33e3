"""Fan pages in the fan's language, through HTTP: the order a language is chosen in (the menu's
cookie, Accept-Language, the artist's default, English), whatever a browser sends; the page cache
keeps one page per language; what a fan agrees to is stored in the words and language they saw."""
import html
import re

import pytest
from sqlalchemy import select

from app import languages
from app.extensions import db
from app.models import Artist, Consent, Fan
from app.tenants.context import Scope, scoped
from tests.fan_journey import sandbox_decision
from tests.own_label import new_release

OFFERED = {"es", "pt_BR", "fr", "de", "it", "ja", "ko", "id", "tr", "ar"}


def lang_of(response):
    return re.search(r'<html lang="([^"]+)" dir="(ltr|rtl)">', response.get_data(as_text=True))


def spoken(client, path, **headers):
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.status_code
    return lang_of(response).group(1)


def set_default(app, artist_slug, code):
    with app.app_context(), scoped(Scope.platform("test")):
        artist = db.session.scalars(select(Artist).where(Artist.slug == artist_slug)).one()
        artist.default_language = code
        db.session.commit()


@pytest.fixture
def release_page(app, own_label):
    _, artist_slug = own_label
    return artist_slug, new_release(app, artist_slug)[1]


def test_every_launch_language_is_offered(app):
    with app.app_context():
        assert {lang.code for lang in languages.offered()} == OFFERED | {"en"}
        assert languages.offered()[0].code == "en"
        assert [lang.code for lang in languages.offered() if lang.rtl] == ["ar"]


def test_the_choice_comes_in_order_cookie_then_browser_then_artist_then_english(
        app, client, release_page):
    artist_slug, path = release_page
    assert spoken(client, path) == "en"
    set_default(app, artist_slug, "de")
    assert spoken(client, path) == "de"  # no Accept-Language: the artist's default
    assert spoken(client, path, **{"Accept-Language": "zh-CN,zh;q=0.9"}) == "de"
    assert spoken(client, path, **{"Accept-Language": "ja,en;q=0.5"}) == "ja"
    assert spoken(client, path, **{"Accept-Language": "en-US,en;q=0.9"}) == "en"
    # q-values decide, not the order; "pt" and "pt-PT" find Portuguese (Brazil), "es-MX"
    # Spanish, even before an exact second choice
    assert spoken(client, path, **{"Accept-Language": "fr;q=0.4, ko;q=0.8"}) == "ko"
    assert spoken(client, path, **{"Accept-Language": "pt"}) == "pt-BR"
    assert spoken(client, path, **{"Accept-Language": "pt-PT"}) == "pt-BR"
    assert spoken(client, path, **{"Accept-Language": "es-MX"}) == "es"
    assert spoken(client, path, **{"Accept-Language": "pt-PT,en;q=0.5"}) == "pt-BR"
    # The menu's choice is kept in a cookie and wins over the browser from then on
    chosen = client.get(path + "?lang=ar", headers={"Accept-Language": "ja"})
    assert lang_of(chosen).groups() == ("ar", "rtl")
    assert "presave_lang=ar" in chosen.headers["Set-Cookie"]
    assert "Path=/s/" in chosen.headers["Set-Cookie"]
    assert spoken(client, path, **{"Accept-Language": "ja"}) == "ar"
    assert spoken(client, f"/s/{artist_slug}", **{"Accept-Language": "ja"}) == "ar"
    assert spoken(client, f"/s/{artist_slug}/me") == "ar"
    # A cookie naming no language offered is ignored
    client.set_cookie("presave_lang", "xx-YY", path="/s/")
    assert spoken(client, path, **{"Accept-Language": "ja"}) == "ja"


@pytest.mark.parametrize("header", [
    "", "*", "garbage", ";;;,,,", "en;q=abc", "ja;q=-1, ;q=", "x" * 5000, "de;q=0", "ü,ß;q=0.5",
    "zh-Hant-TW;q=0.9, ja-Latn-JP-x-private;q=0.8", "ja, " * 500,
])
def test_any_accept_language_gets_a_page(client, release_page, header):
    _, path = release_page
    response = client.get(path, headers={"Accept-Language": header})
    assert response.status_code == 200
    assert lang_of(response).group(1) in {lang.tag for lang in languages.offered()}


@pytest.mark.parametrize("choice", ["", "xx", "../../etc", "ja" * 400, "<b>", "EN"])
def test_a_lang_argument_naming_no_language_offered_is_ignored(client, release_page, choice):
    _, path = release_page
    response = client.get(path, query_string={"lang": choice})
    assert response.status_code == 200
    assert lang_of(response).group(1) == "en"
    kept = any("presave_lang=en" in c for c in response.headers.getlist("Set-Cookie"))
    assert kept == (choice == "EN")


def test_the_page_says_its_language_and_that_it_varies(client, release_page):
    _, path = release_page
    response = client.get(path, headers={"Accept-Language": "ja"})
    assert response.headers["Content-Language"] == "ja"
    assert {"Accept-Language", "Cookie"} <= set(response.vary)


def test_each_language_is_kept_as_its_own_page(client, release_page):
    """The page cache (and its fast lane for new visitors) keeps one page per language."""
    _, path = release_page
    for _ in range(2):  # the second round comes from the kept pages
        japanese = client.get(path, headers={"Accept-Language": "ja"}).get_data(as_text=True)
        english = client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
        arabic = client.get(path, headers={"Accept-Language": "ar"}).get_data(as_text=True)
        assert "Pre-save now" in english and "Pre-save now" not in japanese + arabic
        assert 'dir="rtl"' in arabic and 'dir="rtl"' not in japanese + english


def test_the_language_menu_links_every_other_language_in_its_own_name(client, release_page):
    _, path = release_page
    text = client.get(path, headers={"Accept-Language": "ja"}).get_data(as_text=True)
    menu = re.search(r'<details class="lang-menu">(.*?)</details>', text, re.S).group(1)
    links = dict(re.findall(r'<a href="[^"]*\?lang=([^"]+)" lang="[^"]+" hreflang="[^"]+" '
                            r'rel="nofollow">([^<]+)</a>', menu))
    assert set(links) == {lang.tag for lang in languages.offered()} - {"ja"}
    assert links["pt-BR"] == "Português (Brasil)" and links["ar"] == "العربية"
    assert links["en"] == "English"


def test_a_consent_given_in_japanese_keeps_the_japanese_words_and_ja(app, release_page):
    artist_slug, path = release_page
    fan = app.test_client()
    headers = {"Accept-Language": "ja"}
    step = fan.post(path + "/presave", data={"platform": "spotify"}, headers=headers)
    shown = re.search(r'<label for="c-consent_email_marketing">([^<]+)</label>',
                      step.get_data(as_text=True)).group(1)
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", shown), shown  # Japanese script
    going = fan.post(path + "/presave", headers=headers, data={
        "platform": "spotify", "step": "details", "email": "kaito@example.jp", "name": "Kaito",
        "consent_email_marketing": "1"})
    assert going.status_code == 302, going.get_data(as_text=True)
    assert fan.get(sandbox_decision(fan, going.headers["Location"]),
                   headers=headers).status_code == 302
    with app.app_context(), scoped(Scope.platform("test")):
        stored = db.session.scalars(select(Fan).where(Fan.email == "kaito@example.jp")).one()
        consent = db.session.scalars(select(Consent).where(
            Consent.fan_id == stored.id, Consent.purpose == "email_marketing")).one()
        assert (consent.wording, consent.language, stored.language) == (shown, "ja", "ja")


def test_staff_set_the_default_language_and_consent_texts_per_language_through_the_api(
        api, client, unique):
    """An artist made through the API: its default language (a tag or a code), its Japanese
    consent text shown to a Japanese visitor, the default translated for a German one."""
    staff, headers = api("staff@northwind.test")
    slug = unique("polyglot")
    bad = staff.post("/api/v1/artists/", headers=headers, json={
        "name": "Polyglot", "slug": slug, "default_language": "xx",
        "consent_texts": {"klingon": {"email_marketing": "Qapla'"}}})
    assert bad.status_code == 422
    problems = str(bad.get_json())
    assert "Choose a language the fan pages speak" in problems and "pt_BR" in problems
    made = staff.post("/api/v1/artists/", headers=headers, json={
        "name": "Polyglot", "slug": slug, "default_language": "pt-BR",
        "consent_texts": {"ja": {"email_marketing": "Polyglotのニュースをメールで受け取る。"}}})
    assert made.status_code == 201, made.get_json()
    result = staff.get(f"/api/v1/artists/{made.get_json()['id']}", headers=headers).get_json()
    assert result["result"]["default_language"] == "pt_BR"
    assert result["result"]["consent_texts"] == {
        "ja": {"email_marketing": "Polyglotのニュースをメールで受け取る。"}}
    assert staff.put(f"/api/v1/artists/{made.get_json()['id']}", headers=headers,
                     json={"consent_texts": {"ja": {"phone": "x"}}}).status_code == 422


def test_the_consent_shown_is_the_artist_s_own_for_the_language_else_the_default_translated(
        app, release_page):
    artist_slug, path = release_page
    with app.app_context(), scoped(Scope.platform("test")):
        artist = db.session.scalars(select(Artist).where(Artist.slug == artist_slug)).one()
        artist.consent_email_text = "Join the Allow List newsletter."
        artist.consent_texts = {"ja": {"email_marketing": "ニュースレターを受け取る。"}}
        db.session.commit()

    def shown(language):
        step = app.test_client().post(path + "/presave", data={"platform": "spotify"},
                                      headers={"Accept-Language": language})
        return re.search(r'<label for="c-consent_email_marketing">([^<]+)</label>',
                         step.get_data(as_text=True)).group(1)
    assert shown("en") == "Join the Allow List newsletter."
    assert shown("ja") == "ニュースレターを受け取る。"
    german = shown("de")
    assert german not in ("Join the Allow List newsletter.",
                          "Send me news and offers from this artist by email.")
    with app.app_context():
        with languages.speaking(languages.find("de")):
            assert german == languages.gettext(
                "Send me news and offers from this artist by email.")


def test_the_menu_keeps_no_visitor_s_query(client, release_page):
    """Kept pages serve every visitor: the first one's UTM tags must not ride in its links."""
    _, path = release_page
    for _ in range(2):
        text = client.get(path + "?utm_source=tiktok&utm_campaign=secret",
                          headers={"Accept-Language": "fr"}).get_data(as_text=True)
        menu = re.search(r'<details class="lang-menu">(.*?)</details>', text, re.S).group(1)
        assert "utm_" not in menu and f'href="{path}?lang=ja"' in menu


def test_a_sign_in_round_trip_keeps_the_language_the_fan_agreed_in(app, release_page):
    """The platform's callback carries no Accept-Language we can trust to match: the words the
    fan agreed to were the details step's, so its language is the one stored."""
    artist_slug, path = release_page
    set_default(app, artist_slug, "de")
    fan = app.test_client()  # a browser that names no language: the artist's default
    going = fan.post(path + "/presave", data={
        "platform": "spotify", "step": "details", "email": "lena@example.de",
        "consent_email_marketing": "1"})
    assert going.status_code == 302
    back = fan.get(sandbox_decision(fan, going.headers["Location"]),
                   headers={"Accept-Language": "ja"})  # the callback: another language
    assert back.status_code == 302
    with app.app_context(), scoped(Scope.platform("test")):
        stored = db.session.scalars(select(Fan).where(Fan.email == "lena@example.de")).one()
        consent = db.session.scalars(select(Consent).where(Consent.fan_id == stored.id)).one()
        with languages.speaking(languages.find("de")):
            german = languages.gettext("Send me news and offers from this artist by email.")
        assert (consent.wording, consent.language, stored.language) == (german, "de", "de")


def test_the_menu_on_a_posted_step_leads_to_the_page_in_each_language(client, release_page):
    _, path = release_page
    step = client.post(path + "/presave", data={"platform": "spotify"},
                       headers={"Accept-Language": "es"}).get_data(as_text=True)
    menu = re.search(r'<details class="lang-menu">(.*?)</details>', step, re.S).group(1)
    links = re.findall(r'<a href="([^"]+)"', menu)
    assert links and all(link.startswith(path + "?lang=") for link in links)
    assert client.get(links[0]).status_code == 200


@pytest.mark.parametrize("bad", ["/s/a/b/c/d/e", "/s/nobody/nothing?x=%00"])
def test_a_fan_side_refusal_sets_no_session(client, bad):
    """FAB keeps its own language choice in a session; fan pages must not get one."""
    response = client.get(bad, headers={"Accept-Language": "ja"})
    assert response.status_code in (400, 404)
    assert not any(cookie.startswith("session=")
                   for cookie in response.headers.getlist("Set-Cookie"))


def test_a_form_is_answered_in_the_language_it_was_shown_in(app, release_page):
    """Shown in Korean, posted after another tab chose French: the consent keeps the Korean
    words the fan ticked."""
    _, path = release_page
    fan = app.test_client()
    step = fan.post(path + "/presave", data={"platform": "spotify"},
                    headers={"Accept-Language": "ko"}).get_data(as_text=True)
    shown = re.search(r'<label for="c-consent_email_marketing">([^<]+)</label>', step).group(1)
    assert 'name="shown_in" value="ko"' in step
    fan.get(path + "?lang=fr")  # the other tab
    going = fan.post(path + "/presave", data={
        "platform": "spotify", "step": "details", "email": "minji@example.kr",
        "consent_email_marketing": "1", "shown_in": "ko"})
    assert fan.get(sandbox_decision(fan, going.headers["Location"])).status_code == 302
    with app.app_context(), scoped(Scope.platform("test")):
        stored = db.session.scalars(select(Fan).where(Fan.email == "minji@example.kr")).one()
        consent = db.session.scalars(select(Consent).where(Consent.fan_id == stored.id)).one()
        assert (consent.wording, consent.language) == (html.unescape(shown), "ko")
