"""`flask --app run rotate-keys` re-seals every secret with the newest key."""
import base64
import os

from sqlalchemy import select

from app import create_app
from app.crypto import Keyring, keyring
from app.extensions import db
from app.models import Artist, Authorization, Fan, PresaveUser
from app.tenants.context import Scope, scoped


def _grant(app, unique):
    with app.app_context(), scoped(Scope.platform("test")):
        artist = db.session.scalars(select(Artist).where(Artist.slug == "marlow-shore")).one()
        fan = Fan(artist=artist, label_id=artist.label_id, artist_id=artist.id,
                  email=f"{unique('rot')}@example.com")
        db.session.add(fan)
        db.session.flush()
        grant = Authorization(fan=fan, fan_id=fan.id, label_id=fan.label_id,
                              artist_id=artist.id, platform="tidal", platform_user_id=unique("u"))
        db.session.add(grant)
        grant.set_tokens(keyring(), "old-access", "old-refresh")
        db.session.commit()
        return grant.id


def _two_factor_user(app, unique):
    email = f"{unique('rot')}@example.com"
    with app.app_context(), scoped(Scope.platform("test")):
        user = PresaveUser(first_name="Rot", last_name="Ation", username=email, email=email,
                           active=True)
        db.session.add(user)
        db.session.flush()
        user.set_totp_secret(keyring(), "JBSWY3DPEHPK3PXP")
        db.session.commit()
        return user.id


def test_rotation_reseals_with_the_new_key_and_everything_still_opens(app, unique):
    grant_id, user_id = _grant(app, unique), _two_factor_user(app, unique)
    new_key = "knew:" + base64.urlsafe_b64encode(os.urandom(32)).decode()
    rotated = create_app("config.TestConfig", REDIS_URL=app.config["REDIS_URL"],
                         TOKEN_KEYS=f"{new_key},{app.config['TOKEN_KEYS']}")
    result = rotated.test_cli_runner().invoke(args=["rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "authorization:" in result.output
    with rotated.app_context(), scoped(Scope.platform("test")):
        grant = db.session.get(Authorization, grant_id)
        assert grant.access_token_sealed.split(".")[1] == "knew"
        assert grant.access_token(keyring()) == "old-access"
        assert grant.refresh_token(keyring()) == "old-refresh"
        db.session.expunge(grant)
        user = db.session.get(PresaveUser, user_id)
        assert user.totp_secret_sealed.split(".")[1] == "knew"
        assert user.totp_secret(keyring()) == "JBSWY3DPEHPK3PXP"
        db.session.delete(user)
        db.session.commit()
    old_only = Keyring(app.config["TOKEN_KEYS"])
    assert old_only.needs_rotation(grant.access_token_sealed)
