from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.models import Consent, Fan, PreSave
from app.views.base import PresaveModelView, words

READ_ONLY = ["can_list", "can_show"]


class ConsentView(PresaveModelView):
    """What each fan agreed to, with the exact wording shown and when."""

    datamodel = SQLAInterface(Consent)
    route_base = "/consents"
    noun = ("consent", "consents")
    list_columns = ["fan", "purpose", "wording", "given_at", "withdrawn_at"]
    show_columns = list_columns + ["ip_hash"]
    label_columns = {"ip_hash": "Address (one-way hash)"}
    formatters_columns = {"purpose": words}
    base_permissions = READ_ONLY
    base_order = ("given_at", "desc")


class PreSaveView(PresaveModelView):
    """The delivery ledger: every (fan, release, platform) pre-save and where it stands."""

    datamodel = SQLAInterface(PreSave)
    route_base = "/presaves"
    noun = ("pre-save", "pre-saves")
    list_columns = ["release", "fan", "platform", "action", "display_state", "attempts",
                    "next_attempt_at", "last_error", "delivered_at"]
    show_columns = list_columns + ["created_at", "updated_at"]
    label_columns = {"display_state": "State", "action": "Kind"}
    formatters_columns = {"display_state": words, "action": words}
    search_columns = ["release", "platform", "state", "action"]
    base_permissions = READ_ONLY
    base_order = ("created_at", "desc")


class FanView(PresaveModelView):
    """Fans of the label's artists (contact details: staff only, never Artist users)."""

    datamodel = SQLAInterface(Fan)
    route_base = "/fans"
    noun = ("fan", "fans")
    list_columns = ["name", "email", "phone", "artist", "city", "country", "created_at"]
    show_columns = ["name", "email", "phone", "artist", "city", "country", "timezone", "created_at"]
    search_columns = ["name", "email", "artist", "country"]
    related_views = [ConsentView, PreSaveView]
    base_permissions = READ_ONLY
    base_order = ("created_at", "desc")
