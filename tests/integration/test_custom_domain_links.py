"""Once a label's domain serves, the links the label hands out are made with it: the staff
release page's fan page address and share kit, the API's fan_page_url, the words an
automation's preview shows; the instance's own /s/ pages keep working for links already out."""
import pytest

from app.tenants.context import Scope, scoped
from tests.analytics_data import PASSWORD, new_user
from tests.custom_domains import add_domain, remove_domain
from tests.own_label import make_label, new_release


@pytest.fixture
def label_on_its_domain(app):
    """(label admin's email, artist slug, release id, release path, host)."""
    label_id, artist = make_label(app, "Linked", "Linked Artist")
    release_id, page = new_release(app, artist)
    host, _ = add_domain(app, label_id)
    with app.app_context(), scoped(Scope.platform("test")):
        email = new_user("Label Admin", label_id)
    yield email, artist, release_id, page, host
    remove_domain(app, host)


def _staff(app, email):
    client = app.test_client()
    assert client.post("/login/", data={"username": email, "password": PASSWORD}).status_code \
        == 302
    return client


def test_the_staff_release_page_hands_out_the_domains_addresses(app, label_on_its_domain):
    email, artist, release_id, page, host = label_on_its_domain
    shown = _staff(app, email).get(f"/releases/show/{release_id}").get_data(as_text=True)
    assert f'value="https://{host}{page.removeprefix("/s")}"' in shown
    assert f"https://{host}/r/" in shown  # the share kit's short link (and its QR code)
    assert app.config["PUBLIC_BASE_URL"].rstrip("/") + "/r/" not in shown


def test_the_api_names_the_fan_page_on_the_domain(app, label_on_its_domain):
    email, _, release_id, page, host = label_on_its_domain
    client = app.test_client()
    token = client.post("/api/v1/security/login", json={
        "username": email, "password": PASSWORD, "provider": "db"}).get_json()["access_token"]
    read = client.get(f"/api/v1/releases/{release_id}",
                      headers={"Authorization": f"Bearer {token}"}).get_json()
    assert read["result"]["fan_page_url"] == f"https://{host}{page.removeprefix('/s')}"


def test_a_short_link_and_the_old_address_still_lead_to_the_page(app, label_on_its_domain):
    email, artist, release_id, page, host = label_on_its_domain
    shown = _staff(app, email).get(f"/releases/show/{release_id}").get_data(as_text=True)
    code = shown.split(f"https://{host}/r/", 1)[1].split('"', 1)[0].split("<", 1)[0]
    fan = app.test_client()
    through = fan.get(f"/r/{code}", base_url=f"https://{host}")
    assert through.status_code == 302
    assert through.headers["Location"].startswith(page.removeprefix("/s"))
    assert fan.get(page).status_code == 200  # links handed out before: the instance's /s/


def test_a_messages_links_page_on_the_domain_unsubscribe_on_the_instance(app, label_on_its_domain):
    """The tracked link to the page is the label's own; the unsubscribe link must keep working
    for as long as the message is kept, whatever becomes of the domain."""
    from sqlalchemy import select

    from app.extensions import db
    from app.messaging import tracking, unsubscribe
    from app.models import Artist

    _, artist_slug, _, _, host = label_on_its_domain
    with app.app_context(), scoped(Scope.platform("test")):
        artist = db.session.scalars(select(Artist).where(Artist.slug == artist_slug)).one()
        page_link = tracking.link(artist, 1, tracking.PAGE)
        unsubscribe_link = unsubscribe.link(artist, 1)
    assert page_link.startswith(f"https://{host}/{artist_slug}/m/")
    assert unsubscribe_link.startswith(
        f"{app.config['PUBLIC_BASE_URL'].rstrip('/')}/s/{artist_slug}/unsubscribe/")


def test_musickit_may_run_on_the_domain(app):
    """Apple checks where MusicKit runs against the developer token's origins: the label's
    domain is one of them, beside the instance's."""
    import base64
    import json
    import re

    label_id, artist = make_label(app, "Apple", "Apple Artist")
    _, page = new_release(app, artist, platforms=("apple_music", "spotify"))
    host, _ = add_domain(app, label_id)
    try:
        fan = app.test_client()
        shown = fan.get(page.removeprefix("/s"), base_url=f"https://{host}").get_data(as_text=True)
        if "data-developer-token" not in shown:  # the artist asks for details first
            shown = fan.post(page.removeprefix("/s") + "/presave", base_url=f"https://{host}",
                             data={"platform": "apple_music"}).get_data(as_text=True)
        token = re.search(r'data-developer-token="([^"]+)"', shown).group(1)
        claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        instance = app.config["PUBLIC_BASE_URL"].rstrip("/")
        assert claims["origin"] == [instance, f"https://{host}"]
    finally:
        remove_domain(app, host)
