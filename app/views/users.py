from flask import current_app, g
from flask_appbuilder.models.sqla.interface import SQLAInterface
from werkzeug.security import generate_password_hash
from wtforms import PasswordField, SelectField, ValidationError
from wtforms.validators import DataRequired, EqualTo, Length

from app.extensions import db
from app.models import PresaveUser
from app.tenants.roles import ROLE_ARTIST, ROLE_LABEL_STAFF
from app.views.base import PresaveModelView

ASSIGNABLE_ROLES = [ROLE_LABEL_STAFF, ROLE_ARTIST]


def _artist_matches_role(form, field):
    if form.role.data == ROLE_ARTIST and not field.data:
        raise ValidationError("An Artist user needs the artist they may see")
    if form.role.data != ROLE_ARTIST and field.data:
        raise ValidationError("Only Artist users are tied to one artist")


class LabelUserView(PresaveModelView):
    """A Label Admin's people: staff and artist accounts of its own label."""

    datamodel = SQLAInterface(PresaveUser)
    route_base = "/label-users"
    noun = ("user", "users")
    list_columns = ["first_name", "last_name", "email", "roles", "artist", "active", "last_login"]
    show_columns = ["first_name", "last_name", "username", "email", "roles", "artist", "active",
                    "last_login", "login_count"]
    add_columns = ["first_name", "last_name", "username", "email", "role", "artist", "active",
                   "password", "conf_password"]
    edit_columns = ["first_name", "last_name", "email", "role", "artist", "active"]
    label_columns = {"active": "Active (untick to disable the login)", "conf_password":
                     "Confirm password"}
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    validators_columns = {"artist": [_artist_matches_role]}
    _role_field = SelectField("Role", choices=[(r, r) for r in ASSIGNABLE_ROLES],
                              validators=[DataRequired()])
    add_form_extra_fields = {
        "role": _role_field,
        "password": PasswordField("Password", validators=[DataRequired(), Length(min=8)]),
        "conf_password": PasswordField("Confirm password", validators=[
            EqualTo("password", message="Passwords must match")]),
    }
    edit_form_extra_fields = {"role": _role_field}

    def prefill_form(self, form, pk):
        user = self.datamodel.get(pk)
        names = [r.name for r in user.roles if r.name in ASSIGNABLE_ROLES]
        form.role.data = names[0] if names else None

    def process_form(self, form, is_created):
        g.assigned_role = form.role.data

    def pre_add(self, item):
        item.password = generate_password_hash(
            password=item.password,
            method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"))
        self._assign_role(item)

    def pre_update(self, item):
        if not set(item.role_names) <= set(ASSIGNABLE_ROLES):
            raise ValueError("This account is managed by the platform operator")
        self._assign_role(item)

    def _assign_role(self, item):
        role = self.appbuilder.sm.find_role(g.pop("assigned_role"))
        item.roles = [role]
        if role.name != ROLE_ARTIST:
            item.artist = None
        db.session.add(item)
