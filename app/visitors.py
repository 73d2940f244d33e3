"""The visitor hash: who came back today, without keeping who they are.

Each UTC day gets a random salt, created once in Redis (shared by every web
process) and expired two days later, when no event of that day can arrive any
more. Without the day's salt a hash cannot be matched to an address, even by
trying every IPv4 address; the same browser on the same address gets the same
hash all day and a different one the next day. VISITOR_SALT (default: the
SECRET_KEY) is mixed in too, so a copy of Redis alone is not enough either.
"""
import hashlib
import secrets

from flask import current_app

from app.extensions import redis_connection

SALT_KEY = "analytics:salt:{day}"
SALT_SECONDS = 2 * 86400
_salts = {}  # day -> salt, per process (one Redis round trip per process and day)


def day_salt(day):
    """The salt of ``day`` (a date), created by whichever process asks first."""
    salt = _salts.get(day)
    if salt is None:
        key = SALT_KEY.format(day=day.isoformat())
        conn = redis_connection()
        conn.set(key, secrets.token_hex(32), nx=True, ex=SALT_SECONDS)
        salt = conn.get(key).decode()
        _salts.clear()  # only the current day's salt stays in memory
        _salts[day] = salt
    return salt


def visitor_hash(address, user_agent, day):
    pepper = current_app.config.get("VISITOR_SALT") or current_app.config["SECRET_KEY"]
    text = "|".join([pepper, day_salt(day), address or "", user_agent or ""])
    return hashlib.sha256(text.encode()).hexdigest()
