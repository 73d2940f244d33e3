from sqlalchemy import select, text

from app.crypto import keyring
from app.extensions import db
from app.models import Label, PlatformCredential
from app.tenants.context import Scope, scoped


def _northwind_id(app):
    with app.app_context(), scoped(Scope.platform()):
        return db.session.scalars(select(Label.id).where(Label.slug == "northwind")).one()


def test_label_admin_stores_a_sealed_client_secret(app, login):
    owner = login("owner@northwind.test")
    label_id = _northwind_id(app)
    response = owner.post("/credentials/add", data={
        "label": str(label_id), "platform": "tidal", "client_id": "tidal-client",
        "client_secret": "s3cret-value", "extra_secret": ""})
    assert response.status_code == 302
    listing = owner.get("/credentials/list/").get_data(as_text=True)
    assert "tidal-client" in listing and "stored (sealed)" in listing
    assert "s3cret-value" not in listing
    with app.app_context(), scoped(Scope.label(label_id)):
        raw = db.session.execute(text(
            "SELECT client_secret_sealed FROM platform_credential WHERE client_id = 'tidal-client'"
        )).scalar()
        assert raw.startswith("v1.") and "s3cret-value" not in raw
        stored = db.session.scalars(select(PlatformCredential).where(
            PlatformCredential.client_id == "tidal-client")).one()
        assert stored.client_secret(keyring()) == "s3cret-value"
        db.session.delete(stored)  # leave Northwind on the sandbox for the other tests
        db.session.commit()


def test_staff_and_artists_cannot_reach_credentials(login):
    for email in ("staff@northwind.test", "artist@northwind.test"):
        response = login(email).get("/credentials/list/")
        assert response.status_code in (302, 403)


def test_an_edit_left_on_your_label_keeps_the_row_and_its_secret(app, login):
    owner = login("owner@northwind.test")
    label_id = _northwind_id(app)
    assert owner.post("/credentials/add", data={
        "label": str(label_id), "platform": "deezer", "client_id": "123456",
        "client_secret": "first-secret", "extra_secret": ""}).status_code == 302
    with app.app_context(), scoped(Scope.label(label_id)):
        pk = db.session.scalars(select(PlatformCredential.id).where(
            PlatformCredential.platform == "deezer")).one()
    response = owner.post(f"/credentials/edit/{pk}", data={
        "label": "", "platform": "deezer", "client_id": "654321", "client_secret": "",
        "extra_secret": ""})
    assert response.status_code == 302
    with app.app_context(), scoped(Scope.label(label_id)):
        stored = db.session.get(PlatformCredential, pk)
        assert (stored.label_id, stored.client_id) == (label_id, "654321")
        assert stored.client_secret(keyring()) == "first-secret"
        db.session.delete(stored)
        db.session.commit()


def test_a_label_admin_adding_on_your_label_stores_a_secret_that_opens(app, login):
    owner = login("owner@northwind.test")
    assert owner.post("/credentials/add", data={
        "label": "", "platform": "tidal", "client_id": "own-label-app",
        "client_secret": "opens-later", "extra_secret": ""}).status_code == 302
    label_id = _northwind_id(app)
    with app.app_context(), scoped(Scope.label(label_id)):
        stored = db.session.scalars(select(PlatformCredential).where(
            PlatformCredential.client_id == "own-label-app")).one()
        assert stored.label_id == label_id and stored.client_secret(keyring()) == "opens-later"
        db.session.delete(stored)
        db.session.commit()
