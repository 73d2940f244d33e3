"""How many fan accounts an app with a user limit (Spotify's development mode) has connected.

The platform keeps the real allow-list in its developer dashboard; what can be counted here is
the distinct accounts with an active grant made through the app: a label's own app counts
that label's grants, the instance's app those of every label without an app of its own.
"""
from contextlib import contextmanager

from sqlalchemy import distinct, func, select

from app.extensions import db, redis_connection
from app.models import Authorization, PlatformCredential
from app.models.authorization import ACTIVE


def limit(resolved) -> int | None:
    """The app's user limit; None when it has none (or the platform is not direct)."""
    return resolved.credentials.user_limit if resolved.credentials is not None else None


def connected(label_id, key, own, except_account=None) -> int:
    """Distinct accounts connected on ``key`` through the label's own app (``own``), or the
    instance's."""
    stmt = select(func.count(distinct(Authorization.platform_user_id))).where(
        Authorization.platform == key, Authorization.state == ACTIVE)
    if own:
        stmt = stmt.where(Authorization.label_id == label_id)
    else:
        stmt = stmt.where(Authorization.label_id.not_in(select(PlatformCredential.label_id).where(
            PlatformCredential.platform == key, PlatformCredential.client_id.is_not(None))))
    if except_account is not None:
        stmt = stmt.where(Authorization.platform_user_id != except_account)
    # A count across the labels that share the instance's app: a number, never a row.
    return db.session.execute(stmt, execution_options={"all_tenants": True}).scalar() or 0


def full(label_id, resolved) -> bool:
    """The app has connected as many accounts as it may: new fans cannot sign in."""
    most = limit(resolved)
    return most is not None and connected(label_id, resolved.key, resolved.own) >= most


def admits(label_id, resolved, account_id) -> bool:
    """Whether ``account_id`` may connect: it is connected already, or there is room."""
    most = limit(resolved)
    return most is None or connected(label_id, resolved.key, resolved.own, account_id) < most


@contextmanager
def place_held(label_id, resolved):
    """While held, no other sign-in through the same app counts and takes a place (a Redis
    lock per app; nothing for an app without a limit). Raises redis's LockError when the
    lock cannot be had in time."""
    if limit(resolved) is None:
        yield
        return
    app_of = f"label-{label_id}" if resolved.own else "instance"
    with redis_connection().lock(f"presave:app-users:{resolved.key}:{app_of}", timeout=15,
                                 blocking_timeout=10):
        yield
