"""FAB security manager with label-aware users, and the request's scope."""
from flask import current_app, request
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import UserDBModelView
from flask_jwt_extended import get_current_user, verify_jwt_in_request
from flask_login import current_user

from app.models import PresaveUser
from app.tenants.context import Scope, set_request_scope
from app.tenants.roles import ROLE_ADMIN, ROLE_ARTIST, ROLE_LABEL_ADMIN, ROLE_LABEL_STAFF, TASKS


class PresaveUserDBModelView(UserDBModelView):
    """The platform operator's user admin, with label and artist."""

    list_columns = ["first_name", "last_name", "username", "email", "label", "artist", "active",
                    "roles"]
    show_fieldsets = [
        ("User info", {"fields": ["username", "active", "roles", "label", "artist", "login_count"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "email"]}),
        ("Audit", {"fields": ["last_login", "fail_login_count", "created_on", "changed_on"]}),
    ]
    add_columns = ["first_name", "last_name", "username", "active", "email", "roles", "label",
                   "artist", "password", "conf_password"]
    edit_columns = ["first_name", "last_name", "username", "active", "email", "roles", "label",
                    "artist"]


class PresaveSecurityManager(SecurityManager):
    user_model = PresaveUser
    userdbmodelview = PresaveUserDBModelView

    def create_limiter(self, app):
        from app.extensions import limiter

        return limiter  # one limiter per app, on the shared Redis (bound in create_app)


def scope_for_user(user):
    """The scope a logged-in user acts in; None for anonymous or unassigned users."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    names = {role.name for role in user.roles}
    if ROLE_ADMIN in names:
        return Scope.platform(actor=user.username)
    if user.label_id is None:
        return None
    if ROLE_ARTIST in names and not names & {ROLE_LABEL_ADMIN, ROLE_LABEL_STAFF}:
        return Scope.artist(user.label_id, user.artist_id or 0, actor=user.username)
    return Scope.label(user.label_id, actor=user.username)


def request_user():
    """The user behind this request: a bearer token (API) or the session cookie."""
    if request.headers.get("Authorization", "").startswith("Bearer "):
        try:
            verify_jwt_in_request(optional=True)
            return get_current_user()
        except Exception:  # invalid or expired: FAB's @protect answers 401 later
            return None
    return current_user if current_user.is_authenticated else None


def resolve_request_scope():
    set_request_scope(scope_for_user(request_user()))


def may_do(task):
    """Whether the user of this request may do ``task`` (roles.TASKS): their role's permission."""
    permission, view = TASKS[task]
    return bool(current_app.appbuilder.sm.has_access(permission, view))
