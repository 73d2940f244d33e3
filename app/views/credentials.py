"""A label's own app credentials per platform (Account → Platform credentials).

Beside the form: what to register in the platform's developer console (the redirect URI the
fan's sign-in comes back to, the scopes it asks for, a link to the console) and, on a stored
credential's page, "Test connection" (app.platforms.connection), answered on the same page.
"""
from dataclasses import dataclass

from flask import abort, g
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from wtforms import PasswordField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Optional

from app import audit
from app.crypto import keyring
from app.extensions import db
from app.models import PlatformCredential
from app.platform_table import DEVELOPMENT, EXTENDED, PLATFORM_CHOICES, PLATFORM_KEYS, TABLE
from app.platforms import connection, registry
from app.tenants.context import current_scope
from app.views.base import PresaveModelView
from app.views.fields import ActionForm, label_field, require_csrf
from app.views.public.presave import callback_url

WRITE_ONLY = "Write-only: leave blank to keep the stored value."
QUOTA_CHOICES = [(DEVELOPMENT, "Development mode (a few allow-listed fans)"),
                 (EXTENDED, "Extended quota (no limit on fans)")]
QUOTA_HELP = " ".join(
    f"{d.name}: an app in development mode connects at most {d.development_users} fans, each "
    f"added to its allow-list in the {d.console[0]}; after that the fan page offers "
    "reminders. Choose Extended once the platform has granted your app its extended quota."
    for d in TABLE if d.development_users) + " Other platforms ignore this setting."


def _said(help_of):
    """"Deezer: the app id. Apple Music: TEAMID/KEYID." from the descriptors."""
    return " ".join(f"{d.name}: {help_of(d)}." for d in TABLE if help_of(d))


@dataclass(frozen=True)
class AppSetup:
    """What a platform's developer console needs from a label's app."""

    key: str
    about: connection.Setup
    redirect_uri: str | None  # None: no redirect (Apple's MusicKit signs the fan in on the page)


def app_setup(key):
    if key not in PLATFORM_KEYS:
        return None
    about = connection.setup(key)
    return AppSetup(key, about, callback_url(key) if about.signs_in_with_redirect else None)


def all_setups():
    return [app_setup(key) for key in PLATFORM_KEYS]


class PlatformCredentialView(PresaveModelView):
    """A label's own app credentials per platform; secrets are sealed and never shown."""

    datamodel = SQLAInterface(PlatformCredential)
    route_base = "/credentials"
    list_template = "credentials/list.html"
    show_template = "credentials/show.html"
    add_template = "credentials/add.html"
    edit_template = "credentials/edit.html"
    noun = ("platform credential", "platform credentials")
    list_columns = ["label", "platform_name", "client_id", "secret_state", "quota", "updated_at"]
    show_columns = ["label", "platform_name", "client_id", "secret_state", "quota", "updated_at"]
    add_columns = edit_columns = ["label", "platform", "client_id", "client_secret", "extra_secret",
                                  "quota_mode"]
    label_columns = {"platform_name": "Platform", "secret_state": "Secret", "quota": "Quota mode"}
    description_columns = {"client_id": _said(lambda d: d.client_id_help)}
    add_form_extra_fields = edit_form_extra_fields = {
        "label": label_field(),
        "platform": SelectField("Platform", choices=PLATFORM_CHOICES, validators=[DataRequired()]),
        "client_secret": PasswordField("Client secret", description=WRITE_ONLY,
                                       validators=[Optional()]),
        "extra_secret": TextAreaField("Extra secret", description=(
            _said(lambda d: d.extra_help) + " " + WRITE_ONLY),
            validators=[Optional()]),
        "quota_mode": SelectField("Quota mode", choices=QUOTA_CHOICES, default=DEVELOPMENT,
                                  description=QUOTA_HELP),
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

    @expose("/test/<int:pk>", methods=["POST"])
    @has_access
    def test(self, pk):
        """Try the stored credentials at the platform; the show page says what it answered."""
        require_csrf()
        row = self._credential(pk)
        if row is None:
            abort(404)
        if row.platform not in PLATFORM_KEYS:
            abort(400, f"“{row.platform}” is not a platform fans connect: nothing to test")
        answer = connection.test(row.platform, registry.opened(row), row.label_id)
        audit.record("credentials.tested", row, detail={"outcome": answer.outcome})
        db.session.commit()
        return self.render_template(self.show_template, pk=pk, title=self.show_title,
                                    widgets=self._show(pk), related_views=self._related_views,
                                    answer=answer)

    def render_template(self, template, **kwargs):
        can_test = self.appbuilder.sm.has_access("can_test", self.class_permission_name)
        return super().render_template(template, app_setup=app_setup, all_setups=all_setups,
                                       credential=self._credential, can_test=can_test,
                                       untestable=connection.untestable,
                                       action_form=ActionForm(), **kwargs)

    def _credential(self, pk):
        return self.datamodel.get(pk, self._base_filters)
