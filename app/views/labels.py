from flask_appbuilder.models.sqla.interface import SQLAInterface

from app import validation
from app.models import Label
from app.views.base import PresaveModelView
from app.views.fields import rule

# A label's privacy identity, shown to its fans beside every consent box.
PRIVACY_COLUMNS = ["privacy_controller", "privacy_contact", "privacy_url", "terms_url"]
PRIVACY_LABELS = {
    "privacy_controller": "Data controller",
    "privacy_contact": "Privacy contact email",
    "privacy_url": "Privacy notice",
    "terms_url": "Terms",
}
PRIVACY_HELP = {
    "privacy_controller": "The legal name that answers for the fans' data. Blank: the label's name.",
    "privacy_contact": "Where fans write to about their data; shown in the notice.",
    "privacy_url": "Your own privacy notice (https://…). Blank: the built-in notice, which "
                   "names this label as controller.",
    "terms_url": "Optional: your terms for fans (https://…).",
}
PRIVACY_RULES = {
    "privacy_controller": [rule(lambda v: validation.plain_text(v, 200, "controller's name"))],
    "privacy_contact": [rule(validation.email_address)],
    "privacy_url": [rule(validation.web_address)],
    "terms_url": [rule(validation.web_address)],
}


class LabelView(PresaveModelView):
    """Labels (tenants): the platform operator's view."""

    datamodel = SQLAInterface(Label)
    noun = ("label", "labels")
    list_columns = ["name", "slug", "timezone", "created_at"]
    add_columns = edit_columns = ["name", "slug", "timezone", *PRIVACY_COLUMNS]
    show_columns = ["name", "slug", "timezone", *PRIVACY_COLUMNS, "created_at"]
    label_columns = PRIVACY_LABELS
    description_columns = PRIVACY_HELP
    validators_columns = PRIVACY_RULES
    base_order = ("name", "asc")


class LabelPrivacyView(PresaveModelView):
    """A label admin's own label: who answers for its fans' data, and where its notice is."""

    datamodel = SQLAInterface(Label)
    route_base = "/label-privacy"
    noun = ("privacy identity", "privacy")
    list_columns = ["name", *PRIVACY_COLUMNS]
    show_columns = ["name", *PRIVACY_COLUMNS]
    edit_columns = PRIVACY_COLUMNS
    label_columns = PRIVACY_LABELS
    description_columns = PRIVACY_HELP
    validators_columns = PRIVACY_RULES
