"""/api/v1/fans/: the fans of the label's artists, read-only, with their consents."""
from marshmallow import Schema, fields

from app.api.base import Interface, PresaveApi
from app.models import Fan


class ConsentSchema(Schema):
    purpose = fields.String()
    given_at = fields.DateTime(format="iso")
    withdrawn_at = fields.DateTime(format="iso", allow_none=True)


class FanSchema(Schema):
    id = fields.Integer()
    artist_id = fields.Integer()
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    created_at = fields.DateTime(format="iso")
    consents = fields.List(fields.Nested(ConsentSchema))


class FanApi(PresaveApi):
    resource_name = "fans"
    datamodel = Interface(Fan)
    output_schema = FanSchema
    include_route_methods = {"get", "get_list", "info"}
    search_columns = ["name", "email", "phone", "city", "country", "artist", "created_at"]
    order_columns = ["name", "email", "city", "country", "created_at"]
    base_order = ("created_at", "desc")
