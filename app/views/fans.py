from flask_appbuilder.models.sqla.interface import SQLAInterface
from markupsafe import Markup

from app.models import Consent, Fan, PreSave
from app.releases.ledger import STATE_LABELS
from app.views.base import EMPTY, PresaveModelView, words

# The ledger's states as Bootstrap badges, in the release page's colours.
STATE_BADGES = {"pending": "default", "retrying": "warning", "in_progress": "info",
                "delivered": "success", "failed": "danger", "cancelled": "default"}


def state_badge(state):
    return Markup('<span class="label label-{}">{}</span>').format(
        STATE_BADGES.get(state, "default"), STATE_LABELS.get(state, words(state)))


def agreed_to(consents):
    """The purposes a fan agreed to and has not withdrawn, as words."""
    current = sorted({words(c.purpose) for c in consents or () if c.withdrawn_at is None})
    return ", ".join(current) or EMPTY


def came_from(source):
    """The referring site and campaign of a fan's first visit; "Direct" without either."""
    if source is None:
        return EMPTY
    said = [part for part in (source.referrer, source.utm_campaign) if part]
    return " · ".join(said) or "Direct"

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
    formatters_columns = {"display_state": state_badge, "action": words}
    search_columns = ["release", "platform", "state", "action"]
    base_permissions = READ_ONLY
    base_order = ("created_at", "desc")


class FanView(PresaveModelView):
    """Fans of the label's artists (contact details: staff only, never Artist users)."""

    datamodel = SQLAInterface(Fan)
    route_base = "/fans"
    noun = ("fan", "fans")
    list_columns = ["name", "email", "phone", "artist", "city", "country", "consents", "source",
                    "created_at"]
    show_columns = ["name", "email", "phone", "artist", "city", "country", "timezone",
                    "consents", "source", "created_at"]
    label_columns = {"consents": "Agreed to", "source": "Came from", "created_at": "Joined"}
    formatters_columns = {"consents": agreed_to, "source": came_from}
    search_columns = ["name", "email", "artist", "country"]
    related_views = [ConsentView, PreSaveView]
    base_permissions = READ_ONLY
    base_order = ("created_at", "desc")
