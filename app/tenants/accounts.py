"""People's accounts beside FAB's own: single-use links (invitations, password resets), the
lock after repeated failed sign-ins, and two-factor codes (TOTP).

A link carries a random token; only its SHA-256 is stored, with an expiry. Issuing a new
link for the same user and purpose voids the older ones; using one voids it.
"""
import hashlib
import secrets
from datetime import timedelta

import pyotp
from flask import current_app
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from app.crypto import keyring
from app.extensions import db
from app.localtime import now_utc
from app.models import AccountToken
from app.models.user import INVITE, RESET

MIN_PASSWORD = 10
TOTP_ISSUER = "Presave"


class LinkRefused(ValueError):
    """A link that cannot be used; ``status`` (404 unknown, 410 used or expired) and why."""

    def __init__(self, status, title, message):
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def lifetime(purpose):
    config = current_app.config
    if purpose == INVITE:
        return timedelta(hours=config["INVITATION_HOURS"])
    return timedelta(minutes=config["PASSWORD_RESET_MINUTES"])


def issue(user, purpose, actor=None):
    """A new link for ``user``: (token, row). Older unused links of the purpose are void."""
    void(user, purpose)
    token = secrets.token_urlsafe(32)
    now = now_utc()
    row = AccountToken(user_id=user.id, purpose=purpose, token_hash=_hash(token),
                       created_at=now, expires_at=now + lifetime(purpose), created_by=actor)
    db.session.add(row)
    return token, row


def void(user, purpose):
    db.session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == purpose,
               AccountToken.used_at.is_(None), AccountToken.voided_at.is_(None))
        .values(voided_at=now_utc()))


def find(token, purpose):
    """The live link row for ``token``, or LinkRefused saying why it cannot be used."""
    row = db.session.scalars(select(AccountToken).where(
        AccountToken.token_hash == _hash(token or ""), AccountToken.purpose == purpose)).first()
    what = "invitation" if purpose == INVITE else "password reset link"
    if row is None:
        raise LinkRefused(404, "This link is not valid",
                          f"This {what} is not known here. Check that the whole link was "
                          "copied from the email.")
    if row.used_at is not None:
        raise LinkRefused(410, "This link was already used",
                          f"This {what} has been used once already and works only once. "
                          + _next_step(purpose))
    if row.voided_at is not None:
        raise LinkRefused(410, "This link no longer works",
                          f"A newer {what} was sent, or this one was withdrawn. "
                          + _next_step(purpose))
    if row.expires_at <= now_utc():
        raise LinkRefused(410, "This link has expired",
                          f"This {what} was valid until "
                          f"{row.expires_at.strftime('%d %b %Y, %H:%M UTC')}. "
                          + _next_step(purpose))
    if not row.user.active:
        raise LinkRefused(410, "This account is disabled",
                          "Ask your label admin to turn the account on again.")
    return row


def _next_step(purpose):
    if purpose == INVITE:
        return "Ask your label admin to send a new invitation."
    return "Ask for a new one from the sign-in page (Forgot your password?)."


def redeem(token, purpose, password):
    """Use the link: the user's new password; the link is spent. Returns the user."""
    row = find(token, purpose)
    row.used_at = now_utc()
    set_password(row.user, password)
    return row.user


def set_password(user, password):
    user.password = generate_password_hash(
        password, method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"))
    user.locked_until, user.fail_login_count = None, 0
    void(user, RESET)


# -- the lock after repeated failures ----------------------------------------------------------

def is_locked(user, now=None):
    return user.locked_until is not None and user.locked_until > (now or now_utc())


def lock_minutes_left(user):
    seconds = (user.locked_until - now_utc()).total_seconds()
    return max(1, int(-(-seconds // 60)))


def record_failure(user):
    """One more failed sign-in (a wrong password or code); the Nth locks the account."""
    user.fail_login_count = (user.fail_login_count or 0) + 1
    if user.fail_login_count >= current_app.config["LOCKOUT_FAILURES"]:
        user.locked_until = now_utc() + timedelta(minutes=current_app.config["LOCKOUT_MINUTES"])
        user.fail_login_count = 0  # after the lock, the next run of failures counts afresh


def record_success(user):
    user.fail_login_count, user.locked_until = 0, None


# -- two-factor codes ----------------------------------------------------------------------------

def new_totp_secret():
    return pyotp.random_base32()


def totp_uri(user, secret):
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def check_totp(user, code, secret=None):
    """Is ``code`` the user's current code (a step either side allowed for clock drift) and
    not one already used? A good code is recorded, so it signs in once."""
    code = (code or "").replace(" ", "")
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return False
    secret = secret or user.totp_secret(keyring())
    totp, now = pyotp.TOTP(secret), now_utc()
    step = totp.timecode(now)
    for candidate in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            if user.totp_last_step is not None and candidate <= user.totp_last_step:
                return False
            user.totp_last_step = candidate
            return True
    return False
