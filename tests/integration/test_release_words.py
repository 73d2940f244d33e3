"""A release's own words on its fan page: a headline in place of the stock line and a short
description, set by staff in the release form or through the API, plain text and limited."""
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Release
from app.tenants.context import Scope, scoped
from tests.fan_journey import page

STAFF = "staff@northwind.test"
DEFAULT_HEADLINE = "Be the first to hear it: pre-save now and it's yours the moment it's out."


def _row(app, slug):
    with app.app_context(), scoped(Scope.platform()):
        release = db.session.scalars(select(Release).where(Release.slug == slug)).one()
        return {"id": release.id, "headline": release.headline,
                "description": release.description, "title": release.title}


def _form(app, slug, **words):
    row = _row(app, slug)
    return row["id"], {"title": row["title"], "slug": slug, "isrc": "", "upc": "",
                       "platforms": ["spotify", "deezer"], **words}


def _edit(client, release_id, data):
    return client.post(f"/releases/edit/{release_id}", data=data,
                       content_type="multipart/form-data")


def test_staff_give_a_release_its_own_words_and_the_fan_page_shows_them(
        app, login, client, active_release):
    slug = active_release()
    before = client.get(page(slug)).get_data(as_text=True)
    assert DEFAULT_HEADLINE.replace("'", "&#39;") in before
    release_id, data = _form(app, slug, headline="Three years in the making. Yours at midnight.",
                             description="Recorded in a lighthouse.\nMixed at <b>dawn</b>.")
    assert _edit(login(STAFF), release_id, data).status_code == 302
    text = client.get(page(slug)).get_data(as_text=True)
    assert '<p class="cta">Three years in the making. Yours at midnight.</p>' in text
    assert DEFAULT_HEADLINE.replace("'", "&#39;") not in text
    assert ('<p class="description">Recorded in a lighthouse.\nMixed at &lt;b&gt;dawn&lt;/b&gt;.'
            '</p>') in text
    og = re.search(r'<meta property="og:description" content="([^"]*)"', text).group(1)
    assert "Recorded in a lighthouse." in og
    assert _row(app, slug)["description"] == "Recorded in a lighthouse.\nMixed at <b>dawn</b>."
    release_id, data = _form(app, slug, headline="", description="")
    assert _edit(login(STAFF), release_id, data).status_code == 302
    assert (_row(app, slug)["headline"], _row(app, slug)["description"]) == (None, None)


@pytest.mark.parametrize("field, value, message", [
    ("headline", "x" * 121, "Keep the headline to 120 characters (it has 121)"),
    ("headline", "two\nlines", "one line"),
    ("description", "y" * 601, "Keep the description to 600 characters (it has 601)"),
    ("description", "tab\there", "no tabs or control characters"),
])
def test_the_release_form_refuses_words_a_fan_page_cannot_show(app, login, active_release,
                                                               field, value, message):
    slug = active_release()
    release_id, data = _form(app, slug, **{field: value})
    response = _edit(login(STAFF), release_id, data)
    assert response.status_code == 422
    group = re.search(rf'data-field="{field}".*?(?=data-field="|</form>)', response.text, re.S)
    assert message in group.group(0)
    assert _row(app, slug)[field] is None


def test_the_api_sets_and_clears_the_words_with_field_errors(app, api, active_release):
    slug = active_release()
    client, headers = api(STAFF)
    release_id = _row(app, slug)["id"]
    path = f"/api/v1/releases/{release_id}"
    changed = client.put(path, headers=headers, json={"headline": "  Out Friday.  ",
                                                      "description": "A song about tides."})
    assert changed.status_code == 200, changed.get_json()
    result = changed.get_json()["result"]
    assert (result["headline"], result["description"]) == ("Out Friday.", "A song about tides.")
    refused = client.put(path, headers=headers, json={"headline": "z" * 200})
    assert refused.status_code == 422
    assert "120 characters" in refused.get_json()["message"]["headline"][0]
    cleared = client.put(path, headers=headers, json={"headline": None})
    assert cleared.status_code == 200 and cleared.get_json()["result"]["headline"] is None
    assert _row(app, slug)["description"] == "A song about tides."
