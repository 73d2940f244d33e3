from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.models import Fan
from app.views.base import PresaveModelView


class FanView(PresaveModelView):
    """Fans of the label's artists (contact details: staff only, never Artist users)."""

    datamodel = SQLAInterface(Fan)
    route_base = "/fans"
    list_columns = ["name", "email", "phone", "artist", "city", "country", "created_at"]
    show_columns = ["name", "email", "phone", "artist", "city", "country", "timezone", "created_at"]
    search_columns = ["name", "email", "artist", "country"]
    base_permissions = ["can_list", "can_show"]
    base_order = ("created_at", "desc")
