"""The current tenant scope: who the code is acting for.

Requests get theirs from the logged-in user (see app.tenants.security); jobs,
CLI commands and public pages name theirs with ``scoped(...)``.
"""
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from flask import has_request_context, request


class TenantScopeError(PermissionError):
    """Tenant data was read or written outside the caller's scope."""


@dataclass(frozen=True)
class Scope:
    label_id: int | None = None
    artist_id: int | None = None
    everything: bool = False
    actor: str = "system"  # a user's name, "fan", "cli:<command>", "job:<name>", ...
    user_id: int | None = None  # the signed-in user acting, with their role and way in
    role: str | None = None
    via: str | None = None  # "web" or "api"

    @classmethod
    def platform(cls, actor="system", **user):
        return cls(everything=True, actor=actor, **user)

    @classmethod
    def label(cls, label_id, actor="system", **user):
        return cls(label_id=label_id, actor=actor, **user)

    @classmethod
    def artist(cls, label_id, artist_id, actor="system", **user):
        return cls(label_id=label_id, artist_id=artist_id, actor=actor, **user)


_explicit: ContextVar[Scope | None] = ContextVar("presave_scope", default=None)


_ENVIRON_KEY = "presave.tenant_scope"


def current_scope():
    scope = _explicit.get()
    if scope is None and has_request_context():
        # Kept on the request, not on g: an in-process call to the sandbox is a
        # nested request that shares the app context (and g) with this one.
        scope = request.environ.get(_ENVIRON_KEY)
    return scope


@contextmanager
def scoped(scope):
    """Run a block as ``scope`` (jobs and CLI commands name theirs explicitly)."""
    token = _explicit.set(scope)
    try:
        yield scope
    finally:
        _explicit.reset(token)


def set_request_scope(scope):
    request.environ[_ENVIRON_KEY] = scope
