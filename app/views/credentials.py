from flask import g
from flask_appbuilder.models.sqla.interface import SQLAInterface
from wtforms import PasswordField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Optional

from app.crypto import keyring
from app.models import PlatformCredential
from app.platform_table import PLATFORM_CHOICES, TABLE
from app.tenants.context import current_scope
from app.views.base import PresaveModelView
from app.views.fields import label_field

WRITE_ONLY = "Write-only: leave blank to keep the stored value."


def _said(help_of):
    """"Deezer: the app id. Apple Music: TEAMID/KEYID." from the descriptors."""
    return " ".join(f"{d.name}: {help_of(d)}." for d in TABLE if help_of(d))


class PlatformCredentialView(PresaveModelView):
    """A label's own app credentials per platform; secrets are sealed and never shown."""

    datamodel = SQLAInterface(PlatformCredential)
    route_base = "/credentials"
    noun = ("platform credential", "platform credentials")
    list_columns = ["label", "platform_name", "client_id", "secret_state", "updated_at"]
    show_columns = ["label", "platform_name", "client_id", "secret_state", "updated_at"]
    add_columns = edit_columns = ["label", "platform", "client_id", "client_secret", "extra_secret"]
    label_columns = {"platform_name": "Platform", "secret_state": "Secret"}
    description_columns = {"client_id": _said(lambda d: d.client_id_help)}
    add_form_extra_fields = edit_form_extra_fields = {
        "label": label_field(),
        "platform": SelectField("Platform", choices=PLATFORM_CHOICES, validators=[DataRequired()]),
        "client_secret": PasswordField("Client secret", description=WRITE_ONLY,
                                       validators=[Optional()]),
        "extra_secret": TextAreaField("Extra secret", description=(
            _said(lambda d: d.extra_help) + " " + WRITE_ONLY),
            validators=[Optional()]),
    }

    def process_form(self, form, is_created):
        g.credential_secrets = (form.client_secret.data or None, form.extra_secret.data or None)
        del form.client_secret, form.extra_secret  # never copied onto the row in clear
        if form.label.data is None:
            del form.label  # "(your label)": the row keeps its label, a new one gets the user's

    def pre_add(self, item):
        self._seal(item)

    def pre_update(self, item):
        self._seal(item)

    @staticmethod
    def _seal(item):
        secret, extra = g.pop("credential_secrets", (None, None))
        if item.label_id is None:  # the seal is bound to the label: set it before sealing
            item.label_id = item.label.id if item.label is not None else current_scope().label_id
        ring = keyring()
        if secret:
            item.set_client_secret(ring, secret)
        if extra:
            item.set_extra(ring, extra)
