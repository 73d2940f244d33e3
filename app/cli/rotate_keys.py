"""Re-seal every stored secret with the newest key (after adding one to TOKEN_KEYS)."""
from sqlalchemy import select

from app.crypto import keyring
from app.extensions import db
from app.models import (AdPixels, AudienceChange, AudienceConnection, Authorization,
                        PlatformCredential, PresaveUser, WebhookEndpoint)
from app.tenants.context import Scope, scoped

BATCH = 500

# (model, [(column, field name in the associated data)])
SEALED = [
    (Authorization, [("access_token_sealed", "access"), ("refresh_token_sealed", "refresh")]),
    (PlatformCredential, [("client_secret_sealed", "client_secret"), ("extra_sealed", "extra")]),
    (PresaveUser, [("totp_secret_sealed", "totp")]),
    (WebhookEndpoint, [("secret_sealed", "secret")]),
    (AdPixels, [("meta_token_sealed", "meta"), ("tiktok_token_sealed", "tiktok")]),
    (AudienceConnection, [("api_key_sealed", "api_key")]),
    (AudienceChange, [("email_sealed", "email")]),
]


def rotate_all(progress=lambda n: None):
    counts = {}
    with scoped(Scope.platform("rotate-keys")):
        for model, columns in SEALED:
            counts[model.__tablename__] = _rotate(model, columns, progress)
    return counts


def _rotate(model, columns, progress):
    ring, done, last_id = keyring(), 0, 0
    while True:
        rows = db.session.scalars(select(model).where(model.id > last_id)
                                  .order_by(model.id).limit(BATCH)).all()
        if not rows:
            return done
        for row in rows:
            for column, field in columns:
                sealed = getattr(row, column)
                if ring.needs_rotation(sealed):
                    context = row._context(field)
                    setattr(row, column, ring.seal(ring.open(sealed, context), context))
                    done += 1
        last_id = rows[-1].id
        db.session.commit()
        progress(len(rows))
