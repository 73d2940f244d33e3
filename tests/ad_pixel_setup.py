"""A label's ad pixels for a test, as Account → Ad pixels stores them, with fresh ids (the
sandbox's conversion stand-ins keep what they received for the whole run)."""
import random
import string

from app.crypto import keyring
from app.extensions import db
from app.models import AdPixels
from app.sandbox import meta as meta_sandbox, tiktok as tiktok_sandbox
from app.tenants.context import Scope, scoped
from app.views.public.speed import page_version

GOOGLE = "G-TEST12345"


def fresh_ids():
    """Pixel ids of this test only (the sandbox keeps what it received for the whole run)."""
    return ("".join(random.choices(string.digits, k=16)),
            "".join(random.choices(string.ascii_uppercase + string.digits, k=20)))


def set_pixels(app, label_id, tokens=True, meta=None, tiktok=None, google=GOOGLE):
    """The label's pixels (fresh ids unless given); (meta id, tiktok code)."""
    fresh = fresh_ids()
    meta, tiktok = meta or fresh[0], tiktok or fresh[1]
    with app.app_context(), scoped(Scope.label(label_id)):
        row = AdPixels(label_id=label_id, meta_pixel_id=meta, tiktok_pixel_code=tiktok,
                       google_tag_id=google)
        db.session.add(row)
        db.session.flush()
        if tokens:
            row.set_token(keyring(), "meta", meta_sandbox.SANDBOX_TOKEN)
            row.set_token(keyring(), "tiktok", tiktok_sandbox.SANDBOX_TOKEN)
        db.session.commit()
        page_version.bump()
    return meta, tiktok
