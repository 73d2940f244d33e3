"""Secrets at rest (app.crypto): AES-GCM keyring, row-bound associated data, rotation."""
import base64
import os

import pytest
from sqlalchemy import select

from app.crypto import DecryptError, Keyring, KeyringError, keyring
from app.extensions import db
from app.models import Artist, Authorization, Fan
from app.tenants.context import Scope, scoped

CONTEXT = ("authorization", 1, 10, "spotify", "access")


def key(material=None):
    return base64.urlsafe_b64encode(material or os.urandom(32)).decode()


def ring(*ids):
    return Keyring(",".join(f"{key_id}:{key()}" for key_id in ids))


def test_round_trip():
    keys = ring("k1")
    sealed = keys.seal("access-token-ä€", CONTEXT)
    assert sealed.startswith("v1.k1.") and "access-token" not in sealed
    assert keys.open(sealed, CONTEXT) == "access-token-ä€"
    assert keys.seal("same", CONTEXT) != keys.seal("same", CONTEXT)  # fresh nonce each time
    assert keys.seal(None, CONTEXT) is None and keys.open(None, CONTEXT) is None


@pytest.mark.parametrize("other", [
    ("authorization", 2, 10, "spotify", "access"),   # another label
    ("authorization", 1, 11, "spotify", "access"),   # another fan
    ("authorization", 1, 10, "deezer", "access"),    # another platform
    ("authorization", 1, 10, "spotify", "refresh"),  # another field of the row
    ("platform_credential", 1, 10, "spotify", "access"),
], ids=["label", "fan", "platform", "field", "kind"])
def test_another_rows_context_does_not_open(other):
    keys = ring("k1")
    with pytest.raises(DecryptError):
        keys.open(keys.seal("secret", CONTEXT), other)


def test_another_keyring_does_not_open():
    with pytest.raises(DecryptError):
        ring("k1").open(ring("k1").seal("secret", CONTEXT), CONTEXT)


@pytest.mark.parametrize("token", [
    "garbage", "v1.k1", "v1.k1.!!!not-base64!!!", "v1.k1.AAAA", "v1.gone.AAAAAAAAAAAAAAAAAAAAAAAA",
    "v2.k1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
])
def test_malformed_sealed_values_raise_decrypt_error(token):
    with pytest.raises(DecryptError):
        ring("k1").open(token, CONTEXT)


def test_a_tampered_ciphertext_does_not_open():
    keys = ring("k1")
    sealed = keys.seal("secret", CONTEXT)
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(DecryptError):
        keys.open(flipped, CONTEXT)


def test_rotation_keeps_old_values_open_and_seals_with_the_new_key():
    old_key, new_key = key(), key()
    before = Keyring(f"old:{old_key}")
    old_sealed = before.seal("secret", CONTEXT)
    after = Keyring(f"new:{new_key},old:{old_key}")
    assert after.open(old_sealed, CONTEXT) == "secret"
    new_sealed = after.seal("secret", CONTEXT)
    assert new_sealed.split(".")[1] == "new"
    assert after.needs_rotation(old_sealed) and not after.needs_rotation(new_sealed)
    with pytest.raises(DecryptError):  # the retired key alone cannot open the new value
        before.open(new_sealed, CONTEXT)
    with pytest.raises(DecryptError):  # once the old key is dropped, its values are gone
        Keyring(f"new:{new_key}").open(old_sealed, CONTEXT)


@pytest.mark.parametrize("spec", [
    "", " , ", "no-separator", "k1:", "k1:" + key(os.urandom(16)), "k-1:" + key(),
    ":" + key(), "k1:***not base64***", "k1:" + key() + ",k1:" + key(),
], ids=["empty", "blank entries", "no colon", "no key", "16-byte key", "bad id", "no id",
        "not base64", "duplicate id"])
def test_malformed_keyrings_raise_keyring_error(spec):
    with pytest.raises(KeyringError):
        Keyring(spec)


def test_keyring_forgives_spaces_and_padding():
    material = os.urandom(32)
    padded = base64.urlsafe_b64encode(material).decode()
    keys = Keyring(f" a:{padded.rstrip('=')} , b:{padded} ")
    assert keys.current == "a" and set(keys.keys) == {"a", "b"}


# -- on the Authorization model, with the app's keyring ---------------------------------------

@pytest.fixture
def grants(app, unique):
    """Two fans of one artist with a Spotify grant each (rolled back afterwards)."""
    with app.app_context(), scoped(Scope.platform()):
        artist = db.session.scalars(select(Artist).where(Artist.slug == "aurora-vale")).one()
        rows = []
        for n in range(2):
            fan = Fan(artist=artist, label_id=artist.label_id, email=unique("fan"))
            rows.append(Authorization(fan=fan, artist_id=artist.id, label_id=artist.label_id,
                                      platform="spotify"))
        db.session.add_all(rows)
        db.session.flush()
        yield rows
        db.session.rollback()


def test_authorization_tokens_round_trip_and_stay_sealed_in_the_column(grants, unique):
    grant = grants[0]
    access, refresh = unique("access-token"), unique("refresh-token")
    grant.set_tokens(keyring(), access, refresh)
    db.session.flush()
    stored = db.session.execute(  # the columns as stored, not the model's view of them
        select(Authorization.__table__.c.access_token_sealed,
               Authorization.__table__.c.refresh_token_sealed)
        .where(Authorization.__table__.c.id == grant.id)).one()
    assert access not in stored[0] and refresh not in stored[1]
    assert stored[0].startswith("v1.")
    db.session.expire(grant)
    assert (grant.access_token(keyring()), grant.refresh_token(keyring())) == (access, refresh)


def test_a_token_copied_onto_another_authorization_does_not_open(grants, unique):
    victim, thief = grants
    victim.set_tokens(keyring(), unique("access-token"), unique("refresh-token"))
    thief.access_token_sealed = victim.access_token_sealed
    thief.refresh_token_sealed = victim.refresh_token_sealed
    with pytest.raises(DecryptError):
        thief.access_token(keyring())
    with pytest.raises(DecryptError):
        thief.refresh_token(keyring())


def test_an_access_token_does_not_open_as_the_refresh_token(grants, unique):
    grant = grants[0]
    grant.set_tokens(keyring(), unique("access-token"))
    grant.refresh_token_sealed = grant.access_token_sealed
    with pytest.raises(DecryptError):
        grant.refresh_token(keyring())


def test_a_platform_change_invalidates_the_tokens(grants, unique):
    grant = grants[0]
    grant.set_tokens(keyring(), unique("access-token"))
    grant.platform = "deezer"
    with pytest.raises(DecryptError):
        grant.access_token(keyring())


def test_needs_rotation_answers_for_malformed_values():
    keys = ring("k1")
    assert keys.needs_rotation("garbage") and not keys.needs_rotation(None)
