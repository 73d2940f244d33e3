"""Privacy in the open: every fan page names the label that holds the fan's data and links its
notice; a label admin sets its own notice, terms and contact; the built-in notice stands in."""
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Label
from app.releases import rules as release_rules
from app.tenants.context import Scope, scoped
from tests.fan_journey import sandbox_decision, start

OWN = {"privacy_controller": "Northwind Records Ltd", "privacy_contact": "privacy@northwind.example",
       "privacy_url": "https://northwind.example/privacy", "terms_url": "https://northwind.example/terms"}


def _label(app, slug="northwind"):
    with app.app_context(), scoped(Scope.platform()):
        return db.session.scalars(select(Label).where(Label.slug == slug)).one().id


def _set_privacy(app, **values):
    with app.app_context(), scoped(Scope.platform("test")):
        label = db.session.get(Label, _label(app))
        for name in OWN:
            setattr(label, name, values.get(name))
        db.session.commit()


@pytest.fixture
def built_in_notice(app):
    _set_privacy(app)
    yield
    _set_privacy(app)


def _footer_links(page):
    footer = re.search(r'<footer class="fan-footer">(.*?)</footer>', page, re.S).group(1)
    return dict((text.strip(), href) for href, text in re.findall(r'href="([^"]+)"[^>]*>([^<]+)<', footer))


def _fan_pages(client, active_release):
    """Every page a fan can land on: the artist, a release, the details step, /me, the notice."""
    slug = active_release()
    path = f"/s/aurora-vale/{slug}"
    detail = client.post(f"{path}/presave", data={"platform": "spotify"})
    assert detail.status_code == 200
    return {
        "artist": client.get("/s/aurora-vale").get_data(as_text=True),
        "release": client.get(path).get_data(as_text=True),
        "details": detail.get_data(as_text=True),
        "me": client.get("/s/aurora-vale/me").get_data(as_text=True),
        "notice": client.get("/s/aurora-vale/privacy").get_data(as_text=True),
    }


def test_every_fan_page_links_the_built_in_notice_which_names_the_label(
        client, active_release, built_in_notice):
    for name, page in _fan_pages(client, active_release).items():
        links = _footer_links(page)
        assert links["Privacy"] == "/s/aurora-vale/privacy", name
        assert links["Your details"] == "/s/aurora-vale/me", name
        assert "Terms" not in links, name
    notice = client.get("/s/aurora-vale/privacy")
    assert notice.status_code == 200
    text = notice.get_data(as_text=True)
    assert "<strong>Northwind Records</strong>, Aurora Vale's label, is the controller" in text
    for heading in ("What is collected, and why", "How long", "Your rights"):
        assert f"<h2>{heading}</h2>" in text


def test_the_details_step_names_the_controller_beside_the_consent_boxes(
        client, active_release, built_in_notice):
    page = _fan_pages(client, active_release)["details"]
    fine_print = re.search(r'<p class="fine-print">(.*?)</p>', page, re.S).group(1)
    assert "Northwind Records holds your details" in fine_print
    assert 'href="/s/aurora-vale/privacy"' in fine_print
    assert page.index('name="consent_email_marketing"') < page.index("holds your details")


def test_a_label_admin_sets_its_own_notice_and_every_page_shows_it_at_once(
        app, login, client, active_release, built_in_notice):
    owner = login("owner@northwind.test")
    label_id = _label(app)
    form = owner.get(f"/label-privacy/edit/{label_id}")
    assert form.status_code == 200 and "Data controller" in form.get_data(as_text=True)
    assert owner.post(f"/label-privacy/edit/{label_id}", data=OWN).status_code == 302
    pages = _fan_pages(client, active_release)
    for name in ("artist", "release", "details", "me"):
        links = _footer_links(pages[name])
        assert links["Privacy"] == OWN["privacy_url"], name
        assert links["Terms"] == OWN["terms_url"], name
    assert "Northwind Records Ltd holds your details" in pages["details"]
    assert 'href="mailto:privacy@northwind.example"' in pages["notice"]
    assert OWN["privacy_url"] in pages["notice"]


@pytest.mark.parametrize("field, value, message", [
    ("privacy_url", "javascript:alert(1)", "full web address starting with https://"),
    ("terms_url", "northwind.example/terms", "full web address starting with https://"),
    ("privacy_contact", "not-an-address", "That email address doesn't look right"),
])
def test_the_privacy_form_refuses_what_a_fan_could_not_use(app, login, built_in_notice,
                                                          field, value, message):
    owner = login("owner@northwind.test")
    label_id = _label(app)
    response = owner.post(f"/label-privacy/edit/{label_id}", data={**OWN, field: value})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context(), scoped(Scope.platform()):
        assert db.session.get(Label, label_id).privacy_url is None


def test_label_admins_see_only_their_own_label_and_staff_none(app, login):
    other = _label(app, "harbor-lights")
    owner = login("owner@northwind.test")
    assert owner.get(f"/label-privacy/edit/{other}").status_code == 404
    assert owner.post(f"/label-privacy/edit/{other}", data=OWN).status_code == 404
    assert "Harbor Lights" not in owner.get("/label-privacy/list/").get_data(as_text=True)
    for email in ("staff@northwind.test", "artist@northwind.test"):
        assert login(email).get(f"/label-privacy/edit/{_label(app)}").status_code in (302, 403)
    with app.app_context(), scoped(Scope.platform()):
        assert db.session.get(Label, other).privacy_controller is None


def test_a_fan_who_presaved_finds_the_notice_from_their_details(client, active_release, unique,
                                                               built_in_notice):
    going = start(client, active_release(), email=f"{unique('p')}@example.com")
    client.get(sandbox_decision(client, going.headers["Location"]))
    me = client.get("/s/aurora-vale/me").get_data(as_text=True)
    assert _footer_links(me)["Privacy"] == "/s/aurora-vale/privacy"


@pytest.mark.parametrize("word", sorted(release_rules.FAN_PAGE_WORDS))
def test_no_release_can_take_the_address_of_a_fan_page(app, word):
    with app.app_context(), scoped(Scope.platform()):
        with pytest.raises(release_rules.SlugTaken, match="a page of its own"):
            release_rules.slug_for(1, word, "Anything")
        assert release_rules.slug_for(1, None, word.title()) != word
