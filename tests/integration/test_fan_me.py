"""/s/<artist>/me: the fan sees what they shared, withdraws consent, disconnects a platform."""
import re

from sqlalchemy import select

from app.extensions import db
from app.models import Authorization, Consent, Fan, PreSave
from app.tenants.context import Scope, scoped
from tests.fan_journey import sandbox_decision, start


def _presaved_fan(client, active_release, unique):
    slug, email = active_release(), f"{unique('me')}@example.com"
    going = start(client, slug, email=email, consent_email_marketing="1")
    client.get(sandbox_decision(client, going.headers["Location"]))
    return email


def _fan(app, email):
    with app.app_context(), scoped(Scope.platform()):
        fan = db.session.scalars(select(Fan).where(Fan.email == email)).one()
        return fan.id


def test_me_page_lists_consents_and_platforms_and_honours_withdrawal(app, client,
                                                                    active_release, unique):
    email = _presaved_fan(client, active_release, unique)
    page = client.get("/s/aurora-vale/me").get_data(as_text=True)
    assert email in page and "Spotify" in page and "Withdraw" in page
    withdraw = re.search(r'action="(/s/aurora-vale/me/consents/\d+/withdraw)"', page).group(1)
    assert client.post(withdraw).status_code == 302
    disconnect = client.post("/s/aurora-vale/me/platforms/spotify/disconnect")
    assert disconnect.status_code == 302
    with app.app_context(), scoped(Scope.platform()):
        fan_id = _fan(app, email)
        consent = db.session.scalars(select(Consent).where(Consent.fan_id == fan_id)).one()
        grant = db.session.scalars(select(Authorization).where(
            Authorization.fan_id == fan_id)).one()
        presave = db.session.scalars(select(PreSave).where(PreSave.fan_id == fan_id)).one()
        assert consent.withdrawn_at is not None
        assert grant.state == "revoked" and grant.access_token_sealed is None
        assert presave.state == "cancelled"


def test_another_browser_cannot_act_for_the_fan(app, client, active_release, unique):
    email = _presaved_fan(client, active_release, unique)
    stranger = app.test_client()
    assert email not in stranger.get("/s/aurora-vale/me").get_data(as_text=True)
    assert stranger.post("/s/aurora-vale/me/platforms/spotify/disconnect").status_code == 403
    with app.app_context(), scoped(Scope.platform()):
        fan_id = _fan(app, email)
        grant = db.session.scalars(select(Authorization).where(
            Authorization.fan_id == fan_id)).one()
        assert grant.state == "active"
