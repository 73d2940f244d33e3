"""/api/v1/artists/: the label's roster, its branding and data-wrapper settings."""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from marshmallow import Schema, ValidationError, fields, validate

from app import validation
from app.api.base import CheckedString, PresaveApi, visible
from app.extensions import db
from app.models import Artist, Label
from app.platforms.keys import PLATFORM_KEYS
from app.tenants.context import current_scope


def _text(max_length=None, **kwargs):
    return fields.String(validate=validate.Length(
        min=1, max=max_length, error="Give between {min} and {max} characters"
        if max_length else "Must not be empty"), **kwargs)


class ArtistSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = _text(120, required=True)
    slug = CheckedString(validation.slug, required=True)
    label_id = fields.Integer(metadata={"description": "Required for platform admins; "
                                                       "label users get their own label"})
    timezone = CheckedString(validation.timezone_name, allow_none=True)
    bio = fields.String(allow_none=True)
    primary_color = CheckedString(validation.color)
    accent_color = CheckedString(validation.color)
    background_color = CheckedString(validation.color)
    text_color = CheckedString(validation.color)
    wrapper_enabled = fields.Boolean()
    collect_name = CheckedString(validation.field_mode)
    collect_email = CheckedString(validation.field_mode)
    collect_phone = CheckedString(validation.field_mode)
    consent_email_text = _text()
    consent_sms_text = _text()
    follow_on_spotify = fields.Boolean()
    platform_ids = fields.Dict(
        keys=fields.String(validate=validate.OneOf(
            PLATFORM_KEYS, error="Unknown platform; choose from {choices}")),
        values=_text(200))
    created_at = fields.DateTime(format="iso", dump_only=True)


class ArtistApi(PresaveApi):
    resource_name = "artists"
    datamodel = SQLAInterface(Artist)
    output_schema = ArtistSchema
    add_model_schema = ArtistSchema()
    # An artist never moves to another label: its releases and fans stay with it.
    edit_model_schema = ArtistSchema(exclude=("label_id",))
    search_columns = ["name", "slug", "timezone", "label"]
    order_columns = ["name", "slug", "created_at"]
    base_order = ("name", "asc")

    def create(self, data):
        if "label_id" in data:
            visible(Label, data["label_id"], "label_id", "No label with this id")
        elif current_scope().everything:
            raise ValidationError("Platform admins must say which label the artist joins",
                                  field_name="label_id")
        artist = Artist(**data)
        db.session.add(artist)
        return artist

    def update(self, artist, data):
        for key, value in data.items():
            setattr(artist, key, value)
        return artist
