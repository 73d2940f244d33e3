"""FAB security manager with label-aware users, and the request's scope.

Signing in goes through FAB's own checks plus ours: an account is locked for a while after
repeated failures (app.tenants.accounts), an invited user who has not set a password cannot
sign in, and a user with two-factor sign-in gives a code after the password, on the web
(a second step, /login/code) and on the API (``code`` beside the password).
"""
import time

from blinker import Namespace
from flask import current_app, flash, g, make_response, redirect, request, session, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.forms import LoginForm_db, UserInfoEdit
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthDBView, UserDBModelView, UserInfoEditView
from flask_appbuilder.utils.base import get_safe_redirect
from flask_jwt_extended import get_current_user, verify_jwt_in_request
from flask_login import current_user, login_user
from werkzeug.security import check_password_hash
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Optional

from app.extensions import db
from app.localtime import all_zones
from app.models import PresaveUser
from app.tenants import accounts
from app.tenants.context import Scope, set_request_scope
from app.tenants.roles import ROLE_ADMIN, ROLE_ARTIST, ROLE_LABEL_ADMIN, ROLE_LABEL_STAFF, TASKS


_signals = Namespace()
# sender: the user (None: no account of that name); reason: why, in words. Sent before the
# sign-in's bookkeeping commits (app.audit.logins records them).
signed_in = _signals.signal("user-signed-in")
sign_in_failed = _signals.signal("user-sign-in-failed")


class PresaveUserDBModelView(UserDBModelView):
    """The platform operator's user admin, with label and artist."""

    list_columns = ["first_name", "last_name", "username", "email", "label", "artist", "active",
                    "roles"]
    show_fieldsets = [
        ("User info", {"fields": ["username", "active", "roles", "label", "artist", "login_count"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "email"]}),
        ("Audit", {"fields": ["last_login", "fail_login_count", "locked_until", "two_factor_on",
                              "created_on", "changed_on"]}),
    ]
    add_columns = ["first_name", "last_name", "username", "active", "email", "roles", "label",
                   "artist", "password", "conf_password"]
    edit_columns = ["first_name", "last_name", "username", "active", "email", "roles", "label",
                    "artist"]
    user_show_fieldsets = [
        ("User info", {"fields": ["username", "roles", "label", "artist", "two_factor_on"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "email"]}),
    ]
    label_columns = {"two_factor_on": "Two-factor sign-in"}
    formatters_columns = {"two_factor_on": lambda on: "On" if on else "Off"}
    show_template = "security/user_info.html"

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        """People are invited (Label Users → Invite a user), never given a typed password."""
        return redirect(url_for("LabelUserView.add"))


LOCKED_MESSAGE = ("Too many failed sign-ins: this account is locked for {minutes} more "
                  "minute{s}. Try again then, or reset your password.")
SECOND_STEP_KEY, SECOND_STEP_SECONDS = "presave_second_step", 300


class EmailLoginForm(LoginForm_db):
    username = StringField("Email", validators=[DataRequired()])


class CodeForm(DynamicForm):
    code = StringField("Code")


class PresaveAuthDBView(AuthDBView):
    """FAB's sign-in asking for an email, saying when an account is locked, with the
    two-factor step after the password."""

    login_template = "security/login.html"
    code_template = "security/login_code.html"

    @expose("/login/", methods=["GET", "POST"])
    def login(self):
        if g.user is not None and g.user.is_authenticated:
            return redirect(self._get_safe_next_url())
        form = EmailLoginForm()
        if not form.validate_on_submit():
            return self.render_template(self.login_template, title="Sign in", form=form,
                                        appbuilder=self.appbuilder), (
                400 if request.method == "POST" else 200)
        next_url = get_safe_redirect(request.args.get("next", ""))
        user = self.appbuilder.sm.auth_user_db(form.username.data, form.password.data)
        if g.get("login_locked"):
            flash(_locked_message(g.login_locked), "warning")
            return redirect(self.appbuilder.get_url_for_login_with(next_url))
        if not user:
            flash("That email and password don't match an account. Please try again.",
                  "warning")
            return redirect(self.appbuilder.get_url_for_login_with(next_url))
        if user.two_factor_on:
            session[SECOND_STEP_KEY] = {"user": user.id, "at": int(time.time()),
                                        "next": next_url}
            return redirect(url_for(f"{type(self).__name__}.login_code"))
        login_user(user, remember=False)
        return redirect(next_url)

    @expose("/login/code", methods=["GET", "POST"])
    def login_code(self):
        pending = session.get(SECOND_STEP_KEY) or {}
        user = db.session.get(PresaveUser, pending.get("user") or 0)
        if user is None or time.time() - pending.get("at", 0) > SECOND_STEP_SECONDS:
            session.pop(SECOND_STEP_KEY, None)
            flash("Sign in with your email and password first.", "info")
            return redirect(self.appbuilder.get_url_for_login)
        form, error, status = CodeForm(), None, 200
        if form.validate_on_submit():
            if accounts.is_locked(user):
                session.pop(SECOND_STEP_KEY, None)
                flash(_locked_message(user), "warning")
                return redirect(self.appbuilder.get_url_for_login)
            if accounts.check_totp(user, form.code.data):
                session.pop(SECOND_STEP_KEY, None)
                self.appbuilder.sm.second_factor_passed(user)
                login_user(user, remember=False)
                return redirect(pending.get("next") or self.appbuilder.get_url_for_index)
            accounts.record_failure(user)
            sign_in_failed.send(user, reason="wrong two-factor code")
            db.session.commit()
            error, status = "That code is not right. Enter the 6 digits your app shows now.", 422
        elif form.errors:
            error, status = "The form had expired. Please enter the code again.", 400
        return self.render_template(self.code_template, title="Two-factor sign-in", form=form,
                                    error=error, appbuilder=self.appbuilder), status


def _locked_message(user):
    minutes = accounts.lock_minutes_left(user)
    return LOCKED_MESSAGE.format(minutes=minutes, s="" if minutes == 1 else "s")


class PresaveSecurityApi(SecurityApi):
    @expose("/login", methods=["POST"])
    def login(self):
        """Sign in for a JWT (FAB's login; a user with two-factor sign-in adds ``code``: the
        6 digits of their authenticator app).
        ---
        post:
          description: >-
            Authenticate and get a JWT access (and refresh) token. Accounts with
            two-factor sign-in send their current code as "code".
          responses:
            200:
              description: Authentication Successful
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
        """
        body = request.get_json(silent=True)
        # FAB's schema refuses fields it does not know: take ours out of the parsed body
        # (Flask hands the same object to FAB's view).
        code = body.pop("code", None) if isinstance(body, dict) else None
        g.api_login_code = code if isinstance(code, str) else ""
        return super().login()


class UserInfoForm(UserInfoEdit):
    timezone = SelectField(
        "Time zone", validators=[Optional()], render_kw={"class": "form-control"},
        description="The zone the admin shows you times in; blank: your label's (UTC for the "
                    "platform admin).")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = [("", "My label's zone"), *((z, z) for z in all_zones())]


class PresaveUserInfoEditView(UserInfoEditView):
    """A user's own name and time zone (the profile's "Edit user")."""

    class_permission_name = "UserInfoEditView"  # the roles' permission and the address keep
    route_base = "/userinfoeditview"            # FAB's names
    form = UserInfoForm
    form_title = "Your details"
    message = "Your details were saved"

    def form_get(self, form):
        super().form_get(form)
        form.timezone.data = form.timezone.data or ""

    @expose("/form", methods=["POST"])
    @has_access
    def this_form_post(self):
        answer = make_response(super().this_form_post())
        if answer.status_code == 200:  # the form again, with what was wrong
            g.form_rejected = True
        return answer

    def form_post(self, form):
        user = self.appbuilder.sm.get_user_by_id(g.user.id)
        form.populate_obj(user)
        user.timezone = user.timezone or None
        self.appbuilder.sm.update_user(user)
        flash(self.message, "info")


class PresaveSecurityManager(SecurityManager):
    user_model = PresaveUser
    userdbmodelview = PresaveUserDBModelView
    userinfoeditview = PresaveUserInfoEditView
    authdbview = PresaveAuthDBView
    security_api = PresaveSecurityApi

    def create_limiter(self, app):
        from app.extensions import limiter

        return limiter  # one limiter per app, on the shared Redis (bound in create_app)

    def auth_user_db(self, username, password):
        g.login_locked = None
        user = self._login_user_named(username)
        refused = ("no such account" if user is None and username else
                   "account locked" if user is not None and accounts.is_locked(user) else
                   "invitation not accepted" if user is not None and not user.password else
                   "account disabled" if user is not None and not user.is_active else None)
        if refused:
            sign_in_failed.send(user, reason=refused)
            db.session.commit()
        if user is not None and accounts.is_locked(user):
            g.login_locked = user  # the password is not even looked at
            return None
        if user is not None and not user.password:  # invited, not accepted yet
            check_password_hash(current_app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"],
                                "password")  # as long as a wrong password takes
            return None
        user = super().auth_user_db(username, password)
        if user is not None and user.two_factor_on and "api_login_code" in g:
            if not accounts.check_totp(user, g.api_login_code):
                accounts.record_failure(user)
                sign_in_failed.send(user, reason="wrong two-factor code")
                db.session.commit()
                return None
            self.second_factor_passed(user)
        return user

    def _login_user_named(self, username):
        if not username:
            return None
        return self.find_user(username=username) or self.find_user(email=username)

    def update_user_auth_stat(self, user, success=True):
        if success and user.two_factor_on:
            return  # the password alone is half a sign-in: counted once the code is right
        if success:
            accounts.record_success(user)
            signed_in.send(user)
            return super().update_user_auth_stat(user, True)
        accounts.record_failure(user)
        sign_in_failed.send(user, reason="wrong password")
        self.update_user(user)
        self.on_user_login_failed(user)

    def second_factor_passed(self, user):
        accounts.record_success(user)
        signed_in.send(user)
        super().update_user_auth_stat(user, True)


def scope_for_user(user, via="web"):
    """The scope a logged-in user acts in; None for anonymous or unassigned users."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    names = {role.name for role in user.roles}
    who = {"actor": user.username, "user_id": user.id, "role": role_of(names), "via": via}
    if ROLE_ADMIN in names:
        return Scope.platform(**who)
    if user.label_id is None:
        return None
    if ROLE_ARTIST in names and not names & {ROLE_LABEL_ADMIN, ROLE_LABEL_STAFF}:
        return Scope.artist(user.label_id, user.artist_id or 0, **who)
    return Scope.label(user.label_id, **who)


def role_of(names):
    """The role a user acts in: the widest of theirs."""
    return next((role for role in (ROLE_ADMIN, ROLE_LABEL_ADMIN, ROLE_LABEL_STAFF, ROLE_ARTIST)
                 if role in names), None)


def _bearer():
    return request.headers.get("Authorization", "").startswith("Bearer ")


def request_user():
    """The user behind this request: a bearer token (API) or the session cookie."""
    if _bearer():
        try:
            verify_jwt_in_request(optional=True)
            return get_current_user()
        except Exception:  # invalid or expired: FAB's @protect answers 401 later
            return None
    return current_user if current_user.is_authenticated else None


def resolve_request_scope():
    set_request_scope(scope_for_user(request_user(), via="api" if _bearer() else "web"))


def may_do(task):
    """Whether the user of this request may do ``task`` (roles.TASKS): their role's permission."""
    permission, view = TASKS[task]
    return bool(current_app.appbuilder.sm.has_access(permission, view))
