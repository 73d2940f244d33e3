from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.models import Label
from app.views.base import PresaveModelView


class LabelView(PresaveModelView):
    """Labels (tenants): the platform operator's view."""

    datamodel = SQLAInterface(Label)
    list_columns = ["name", "slug", "timezone", "created_at"]
    add_columns = edit_columns = ["name", "slug", "timezone"]
    show_columns = ["name", "slug", "timezone", "created_at"]
    base_order = ("name", "asc")
