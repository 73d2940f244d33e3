"""/api/v1/presaves/: the delivery ledger, read-only: where each pre-save stands."""
from marshmallow import Schema, fields

from app.api.base import Interface, PresaveApi
from app.models import PreSave


class PreSaveSchema(Schema):
    id = fields.Integer()
    release_id = fields.Integer()
    fan_id = fields.Integer()
    artist_id = fields.Integer()
    platform = fields.String()
    action = fields.String(metadata={"description": "save into the library, or remind the fan"})
    state = fields.String(attribute="display_state",
                          metadata={"description": "pending, retrying, in_progress, delivered, "
                                                   "failed or cancelled"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.DateTime(format="iso", allow_none=True)
    delivered_at = fields.DateTime(format="iso", allow_none=True)
    created_at = fields.DateTime(format="iso")


class PreSaveApi(PresaveApi):
    resource_name = "presaves"
    datamodel = Interface(PreSave)
    output_schema = PreSaveSchema
    include_route_methods = {"get", "get_list", "info"}
    search_columns = ["release", "fan", "platform", "action", "state", "created_at"]
    order_columns = ["platform", "state", "attempts", "next_attempt_at", "created_at"]
    base_order = ("created_at", "desc")
