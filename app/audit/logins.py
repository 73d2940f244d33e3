"""Sign-ins in the trail: each one and each failure, with the client address hashed as the
analytics hash visitors (a day's salt: the same address matches within a day, never after),
and never the name typed for an account that does not exist."""
from flask import has_request_context, request

from app import visitors
from app.audit.trail import record, user_actor
from app.localtime import now_utc
from app.tenants.security import role_of, sign_in_failed, signed_in


def listen():
    signed_in.connect(_signed_in)
    sign_in_failed.connect(_failed)


def _signed_in(user):
    record("user.signed_in", **_about(user), detail=_client())


def _failed(user, reason):
    if user is None:
        record("user.sign_in_failed", actor={"actor_kind": "user", "actor_user_id": None,
                                             "actor_name": "unknown account",
                                             "actor_role": None},
               detail={"reason": reason, **_client()})
        return
    record("user.sign_in_failed", **_about(user), detail={"reason": reason, **_client()})


def _about(user):
    role = role_of({role.name for role in user.roles})
    return {"actor": user_actor(user, role), "label_id": user.label_id, "object_type": "user",
            "object_id": user.id, "name": user.username}


def _client():
    if not has_request_context():
        return {}
    return {"via": "api" if request.path.startswith("/api/") else "web",
            "client": visitors.visitor_hash(request.remote_addr, request.user_agent.string,
                                            now_utc().date())}
