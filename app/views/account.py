"""A person's own account: accepting an invitation, resetting a forgotten password (both by a
single-use emailed link) and turning two-factor sign-in on or off."""
import logging

from flask import current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from markupsafe import Markup
from sqlalchemy import func, or_, select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp
from werkzeug.security import check_password_hash

from app import qr_codes
from app.crypto import keyring
from app.extensions import db, limiter
from app.localtime import now_utc
from app.messaging import MessagingError, NotConfigured
from app.messaging.account import password_reset_for
from app.messaging.outbox import Outbox
from app.models import PresaveUser
from app.tenants import accounts
from app.tenants.accounts import INVITE, RESET, LinkRefused

log = logging.getLogger(__name__)


def account_link(endpoint, token):
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(endpoint, token=token)


def send(message):
    """Send an account email; None when it went, else the reason it did not, for a person."""
    try:
        with Outbox(current_app.config) as outbox:
            outbox.send(message)
    except NotConfigured:
        return "email is not set up on this site (SMTP_HOST)"
    except MessagingError as exc:
        return str(exc).removeprefix("not sent: ")
    return None


class NewPasswordForm(DynamicForm):
    password = PasswordField("New password", validators=[
        DataRequired(message="Choose a password"),
        Length(min=accounts.MIN_PASSWORD, max=128,
               message=f"Use at least {accounts.MIN_PASSWORD} characters")])
    conf_password = PasswordField("Type it again", validators=[
        EqualTo("password", message="The two passwords are not the same")])


class ForgotForm(DynamicForm):
    email = StringField("Email", validators=[
        DataRequired(message="Enter your email"), Length(max=320),
        # The shape only: the address is never looked up, and any answer is the same.
        Regexp(r"^[^@\s]+@[^@\s]+$", message="That doesn't look like an email address")])


class CodeForm(DynamicForm):
    code = StringField("Code from your app")


class ConfirmPasswordForm(DynamicForm):
    password = PasswordField("Your password")
    code = StringField("Current code from your app")


def _reset_limits():
    return current_app.config["FAN_REQUEST_LIMITS"]


class AccountView(BaseView):
    """The signed-out pages: an invitation's and a reset's link, and "Forgot your password?"."""

    route_base = "/account"

    @expose("/invitation/<token>", methods=["GET", "POST"])
    def invitation(self, token):
        return self._set_password(token, INVITE, "Welcome to Presave", "Set password and sign in")

    @expose("/reset/<token>", methods=["GET", "POST"])
    def reset(self, token):
        return self._set_password(token, RESET, "Choose a new password", "Save and sign in")

    def _set_password(self, token, purpose, title, button):
        try:
            link = accounts.find(token, purpose)
        except LinkRefused as refused:
            return self._refused(refused)
        form = NewPasswordForm()
        if form.validate_on_submit():
            accounts.redeem(token, purpose, form.password.data)
            db.session.commit()
            flash("Your password is set. Sign in with your email and the new password.", "success")
            return redirect(self.appbuilder.get_url_for_login)
        status = 422 if request.method == "POST" else 200
        return self.render_template(
            "account/set_password.html", title=title, button=button, form=form, user=link.user,
            invitation=purpose == INVITE, appbuilder=self.appbuilder), status

    def _refused(self, refused):
        return self.render_template("account/refused.html", title=refused.title,
                                    message=refused.message, status=refused.status,
                                    appbuilder=self.appbuilder), refused.status

    @expose("/forgot", methods=["GET", "POST"])
    @limiter.limit(_reset_limits, methods=["POST"])
    def forgot(self):
        form = ForgotForm()
        if form.validate_on_submit():
            self._send_reset(form.email.data.strip())
            # The same answer whether or not the address has an account.
            return self.render_template(
                "account/forgot_sent.html", title="Check your email", email=form.email.data,
                minutes=current_app.config["PASSWORD_RESET_MINUTES"], appbuilder=self.appbuilder)
        status = 422 if request.method == "POST" else 200
        return self.render_template("account/forgot.html", title="Reset your password",
                                    form=form, appbuilder=self.appbuilder), status

    def _send_reset(self, address):
        user = db.session.scalars(select(PresaveUser).where(or_(
            func.lower(PresaveUser.email) == address.lower(),
            func.lower(PresaveUser.username) == address.lower()))).first()
        # An invited user without a password uses the invitation, never a reset.
        if user is None or not user.active or not user.password:
            return
        token, _ = accounts.issue(user, RESET, actor="password reset")
        db.session.commit()
        reason = send(password_reset_for(user, account_link("AccountView.reset", token),
                                         current_app.config["PASSWORD_RESET_MINUTES"]))
        if reason:
            log.warning("password reset email for user %s not sent: %s", user.id, reason)


class TwoFactorView(BaseView):
    """A signed-in person's two-factor sign-in: set it up with an authenticator app (QR code or
    the secret as text), confirm it with a code, or turn it off with the password and a code."""

    route_base = "/account/two-factor"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        return self._page(CodeForm(), None, 200)

    @expose("/start", methods=["POST"])
    @has_access
    def start(self):
        form = DynamicForm()
        if not form.validate_on_submit():
            return self._page(CodeForm(), "The form had expired. Please try again.", 400)
        user = self._me()
        if user.two_factor_on:
            return redirect(url_for("TwoFactorView.index"))
        user.set_totp_secret(keyring(), accounts.new_totp_secret())
        user.totp_last_step = None
        db.session.commit()
        return redirect(url_for("TwoFactorView.index"))

    @expose("/confirm", methods=["POST"])
    @has_access
    def confirm(self):
        user, form = self._me(), CodeForm()
        if user.two_factor_on or not user.totp_secret_sealed:
            return redirect(url_for("TwoFactorView.index"))
        if form.validate_on_submit() and accounts.check_totp(user, form.code.data):
            user.totp_enabled_at = now_utc()
            db.session.commit()
            flash("Two-factor sign-in is on. From now on, signing in asks for a code.", "success")
            return redirect(url_for("TwoFactorView.index"))
        return self._page(form, "That code is not right. Enter the 6 digits your app shows "
                                "now (check that the phone's clock is right).", 422)

    @expose("/disable", methods=["POST"])
    @has_access
    def disable(self):
        user, form = self._me(), ConfirmPasswordForm()
        if not user.two_factor_on:
            return redirect(url_for("TwoFactorView.index"))
        password_ok = form.validate_on_submit() and self._password_matches(user, form.password.data)
        if password_ok and accounts.check_totp(user, form.code.data):
            user.totp_enabled_at = user.totp_secret_sealed = user.totp_last_step = None
            db.session.commit()
            flash("Two-factor sign-in is off.", "info")
            return redirect(url_for("TwoFactorView.index"))
        return self._page(CodeForm(), "To turn it off, give your password and a current code.",
                          422, disable_form=form)

    def _me(self):
        return db.session.get(PresaveUser, g.user.id)

    @staticmethod
    def _password_matches(user, password):
        return bool(user.password and password and check_password_hash(user.password, password))

    def _page(self, form, error, status, disable_form=None):
        user = self._me()
        setup = None
        if user.totp_secret_sealed and not user.two_factor_on:
            secret = user.totp_secret(keyring())
            uri = accounts.totp_uri(user, secret)
            setup = {"secret": secret, "uri": uri, "qr": _qr_svg(uri)}
        response = self.render_template(
            "account/two_factor.html", title="Two-factor sign-in", user=user, setup=setup,
            form=form, start_form=DynamicForm(), disable_form=disable_form or ConfirmPasswordForm(),
            error=error, appbuilder=self.appbuilder)
        return response, status, {"Cache-Control": "private, no-store"}


def _qr_svg(text):
    return Markup(qr_codes.svg(text, border=2, css_class="account-qr",
                               label="QR code of your two-factor secret"))