from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.models import Release
from app.views.base import PresaveModelView


class ReleaseView(PresaveModelView):
    """Releases of the label's roster."""

    datamodel = SQLAInterface(Release)
    route_base = "/releases"
    list_columns = ["title", "artist", "status", "release_local", "timezone", "release_at"]
    show_columns = ["title", "artist", "status", "isrc", "upc", "timezone", "presave_opens_local",
                    "release_local", "presave_opens_at", "release_at", "platforms"]
    base_permissions = ["can_list", "can_show", "can_delete"]
    base_order = ("release_at", "desc")
