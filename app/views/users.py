"""The people of a label: invited by email with a role (never given a typed password), the
invitation resent or revoked, the role and artist kept together."""
from flask import abort, current_app, flash, g, redirect, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import func, or_, select
from wtforms import SelectField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from app import audit
from app.extensions import db
from app.messaging.account import invitation_for
from app.models import Artist, Label, PresaveUser
from app.tenants import accounts
from app.tenants.accounts import INVITE
from app.tenants.context import current_scope
from app.tenants.roles import ROLE_ADMIN, ROLE_ARTIST, ROLE_LABEL_ADMIN, ROLE_LABEL_STAFF
from app.validation import email_address
from app.views.account import account_link, send
from app.views.base import PresaveModelView

LABEL_ROLES = [ROLE_LABEL_STAFF, ROLE_LABEL_ADMIN, ROLE_ARTIST]
# Plain selects, not FAB's Select2: users.js switches them as the role changes.
_PLAIN_SELECT = {"class": "form-control"}


def _platform():
    scope = current_scope()
    return scope is not None and scope.everything


def assignable_roles():
    """What the signed-in person may give: their label's roles; the platform admin also Admin."""
    return LABEL_ROLES + ([ROLE_ADMIN] if _platform() else [])


def _role_choices():
    return [SelectChoice(role, role) for role in assignable_roles()]


def _label_choices():
    labels = db.session.scalars(select(Label).order_by(Label.name)).all()
    none = [SelectChoice("", "No label (platform Admin only)")] if _platform() else []
    return none + [SelectChoice(str(label.id), label.name) for label in labels]


def _artist_choices():
    artists = db.session.scalars(select(Artist).order_by(Artist.name)).all()
    many_labels = len({artist.label_id for artist in artists}) > 1
    return [SelectChoice("", "No artist (staff and admins)")] + [
        SelectChoice(str(a.id), f"{a.name} ({a.label.name})" if many_labels else a.name)
        for a in artists]


def _id_or_none(value):
    return int(value) if value not in (None, "", "None") else None


def _label_matches_role(form, field):
    if form.role.data == ROLE_ADMIN and field.data is not None:
        raise ValidationError("A platform Admin belongs to no label: choose “No label”")
    if form.role.data != ROLE_ADMIN and field.data is None:
        raise ValidationError("Choose the label this person works for")


def _artist_matches_role(form, field):
    if form.role.data == ROLE_ARTIST and field.data is None:
        raise ValidationError("An Artist user needs the artist they may see")
    if form.role.data != ROLE_ARTIST and field.data is not None:
        raise ValidationError("Only Artist users are tied to one artist: choose “No artist”")
    if field.data is not None:
        artist = db.session.get(Artist, field.data)
        if artist is None or artist.label_id != form.label_id.data:
            raise ValidationError("Choose an artist of the same label")


def _email_is_valid(form, field):
    try:
        field.data = email_address(field.data)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _email_is_free(form, field):
    address = (field.data or "").strip().lower()
    taken = db.session.scalar(
        select(func.count()).select_from(PresaveUser).where(or_(
            func.lower(PresaveUser.email) == address, func.lower(PresaveUser.username) == address))
        .where(PresaveUser.id != int(getattr(form, "_id", None) or 0)),
        execution_options={"all_tenants": True})  # emails are unique across every label
    if taken:
        raise ValidationError("Someone already has an account or an invitation with this email")


class LabelUserView(PresaveModelView):
    """A Label Admin's people: staff, label admin and artist accounts of its own label."""

    datamodel = SQLAInterface(PresaveUser)
    route_base = "/label-users"
    noun = ("user", "users")
    list_columns = ["first_name", "last_name", "email", "roles", "artist", "account_state",
                    "two_factor_on", "last_login"]
    show_columns = ["first_name", "last_name", "email", "roles", "label", "artist",
                    "account_state", "two_factor_on", "active", "last_login", "login_count"]
    add_columns = ["first_name", "last_name", "email", "role", "label_id", "artist_id"]
    edit_columns = ["first_name", "last_name", "email", "role", "label_id", "artist_id", "active"]
    label_columns = {"active": "Active (untick to disable the login)", "account_state": "Account",
                     "two_factor_on": "Two-factor", "label_id": "Label", "artist_id": "Artist"}
    formatters_columns = {"two_factor_on": lambda on: "On" if on else "Off"}
    description_columns = {
        "email": "The invitation goes here; it is also what they sign in with.",
        "artist_id": "Only for the Artist role: the one artist they may see.",
    }
    add_title = "Invite a user"
    show_template, add_template, edit_template = ("users/show.html", "users/add.html",
                                                  "users/edit.html")
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_resend", "can_revoke"]
    validators_columns = {"email": [DataRequired(), _email_is_valid, _email_is_free]}
    add_form_extra_fields = edit_form_extra_fields = {
        "role": SelectField("Role", choices=_role_choices, validators=[DataRequired()],
                            render_kw=_PLAIN_SELECT),
        "label_id": SelectField("Label", choices=_label_choices, coerce=_id_or_none,
                                validators=[_label_matches_role], render_kw=_PLAIN_SELECT),
        "artist_id": SelectField("Artist", choices=_artist_choices, coerce=_id_or_none,
                                 validators=[_artist_matches_role], render_kw=_PLAIN_SELECT),
    }

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._visible(pk)
        widgets = self._show(pk)
        return self.render_template(self.show_template, pk=pk, item=item, title=self.show_title,
                                    widgets=widgets, related_views=self._related_views,
                                    action_form=DynamicForm())

    def prefill_form(self, form, pk):
        item = self._visible(pk)
        names = [r.name for r in item.roles if r.name in assignable_roles()]
        form.role.data = names[0] if names else None

    def process_form(self, form, is_created):
        g.assigned_role = form.role.data

    def pre_add(self, item):
        item.email = item.email.strip()
        item.username, item.password, item.active = item.email, None, True
        self._assign_role(item)
        audit.record("user.invited", item)

    def post_add(self, item):
        self._send_invitation(item, "Invitation sent")

    def pre_update(self, item):
        if not set(item.role_names) <= set(assignable_roles()):
            abort(403, "This account is managed by the platform operator")
        self._assign_role(item)

    def _assign_role(self, item):
        role = self.appbuilder.sm.find_role(g.pop("assigned_role"))
        item.roles = [role]
        if role.name != ROLE_ARTIST:
            item.artist_id = None
        if role.name == ROLE_ADMIN:
            item.label_id = None
        db.session.add(item)

    @expose("/resend/<int:pk>", methods=["POST"])
    @has_access
    def resend(self, pk):
        user = self._visible(pk)
        if DynamicForm().validate_on_submit() and not user.password:
            audit.record("user.invitation_resent", user)
            self._send_invitation(user, "A new invitation was sent (the earlier link no longer "
                                        "works)")
        return redirect(url_for(f"{type(self).__name__}.show", pk=pk))

    @expose("/revoke/<int:pk>", methods=["POST"])
    @has_access
    def revoke(self, pk):
        user = self._visible(pk)
        if DynamicForm().validate_on_submit() and not user.password:
            accounts.void(user, INVITE)
            audit.record("user.invitation_revoked", user)
            db.session.commit()
            flash(f"The invitation of {user.email} is revoked: its link no longer works.", "info")
        return redirect(url_for(f"{type(self).__name__}.show", pk=pk))


    def _send_invitation(self, user, done):
        token, _ = accounts.issue(user, INVITE, actor=g.user.username)
        db.session.commit()
        hours = current_app.config["INVITATION_HOURS"]
        inviter = f"{g.user.first_name} {g.user.last_name}".strip() or g.user.username
        reason = send(invitation_for(user, account_link("AccountView.invitation", token), hours,
                                     inviter))
        if reason:
            flash(f"The invitation of {user.email} is saved but the email was not sent: "
                  f"{reason}. Use “Resend invitation” once email works.", "warning")
        else:
            flash(f"{done} to {user.email}. The link works once, for {hours} hours.", "success")
