"""The label settings' forms (webhooks, ad pixels, email tools, data retention, the share
kit) refuse a post without the form's CSRF token, and store nothing: a forged form on another
page of the same site cannot point a label's webhooks or pixels elsewhere, nor shorten how long
its data is kept."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (AdPixels, AudienceConnection, Release, RetentionPolicy, ShortLink,
                        WebhookEndpoint)
from app.tenants.context import Scope, scoped

OWNER = "owner@northwind.test"


def counts(app):
    with app.app_context(), scoped(Scope.platform("test")):
        return [len(db.session.scalars(select(model.id)).all())
                for model in (WebhookEndpoint, AdPixels, AudienceConnection, ShortLink,
                              RetentionPolicy)]


@pytest.mark.parametrize("path, form", [
    ("/webhooks/add", {"url": "https://forged.example/h", "events": ["fan.erased"]}),
    ("/ad-pixels/save", {"meta_pixel_id": "1234567890123456"}),
    ("/email-tools/mailchimp/save", {"api_key": "forged-us0"}),
    ("/retention/save", {"unfinished_fan_days": "1", "withdrawn_fan_days": "1",
                         "ledger_months": "1", "outbound_days": "7", "cookie_choice_days": "180",
                         "audit_days": "365"}),
    ("/releases/{release}/share-links", {"name": "Forged", "preset": "email"}),
])
def test_a_post_without_the_token_is_refused(app, login, monkeypatch, path, form):
    with app.app_context(), scoped(Scope.platform("test")):
        release_id = db.session.scalars(select(Release.id).join(Release.artist).where(
            Release.slug == "tonight")).first()
    admin = login(OWNER)
    before = counts(app)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    answer = admin.post(path.format(release=release_id), data=form)
    assert answer.status_code == 400, answer.status_code
    assert counts(app) == before
