"""/api/v1/artists/: the label's roster, its branding and data-wrapper settings."""
from marshmallow import Schema, ValidationError, fields, validate

from app import languages, validation
from app.api.base import CheckedString, Interface, PresaveApi, id_field, visible
from app.extensions import db
from app.models import Artist, Label
from app.models.artist import FIELD_MODES
from app.models.fan import EMAIL_MARKETING, SMS_MARKETING
from app.platform_table import PLATFORM_KEYS
from app.tenants.context import current_scope


def _text(max_length=None, **kwargs):
    error = f"Give 1 to {max_length} characters" if max_length else "Must not be empty"
    return fields.String(validate=validate.Length(min=1, max=max_length, error=error), **kwargs)


def _color():
    return CheckedString(validation.color, metadata={"pattern": validation.COLOR_RE.pattern})


def _mode():
    return CheckedString(validation.field_mode, metadata={"enum": [k for k, _ in FIELD_MODES]})


def _other_language(value):
    """A language's code, not English's: the English texts are consent_email_text and
    consent_sms_text."""
    code = validation.language(value)
    if code == languages.ENGLISH:
        raise ValueError("English consent texts are consent_email_text and consent_sms_text")
    return code


def _consent_text(value):
    text = validation.plain_text(value, 500, "consent text")
    if text is None:
        raise ValueError("Must not be empty")
    return text


class ArtistSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = _text(120, required=True)
    slug = CheckedString(validation.slug, required=True)
    label_id = id_field(metadata={"description": "Required for platform admins; "
                                             "label users get their own label"})
    timezone = CheckedString(validation.timezone_name, allow_none=True)
    default_language = CheckedString(validation.language, metadata={
        "description": "Its fan pages' language for a visitor whose browser asks for none of "
                       "those offered: en, or a code such as pt_BR"})
    bio = fields.String(allow_none=True)
    primary_color = _color()
    accent_color = _color()
    background_color = _color()
    text_color = _color()
    wrapper_enabled = fields.Boolean()
    collect_name = _mode()
    collect_email = _mode()
    collect_phone = _mode()
    consent_email_text = _text()
    consent_sms_text = _text()
    consent_texts = fields.Dict(
        keys=CheckedString(_other_language),
        values=fields.Dict(keys=fields.String(validate=validate.OneOf(
            [EMAIL_MARKETING, SMS_MARKETING], error="A consent text is for {choices}")),
            values=CheckedString(_consent_text)),
        allow_none=True,
        metadata={"description": "The consent texts in other languages, by language code: "
                                 '{"ja": {"email_marketing": "…", "sms_marketing": "…"}}; a '
                                 "language without its own shows the default wording translated"})
    offer_follow = fields.Boolean()
    platform_ids = fields.Dict(
        keys=fields.String(validate=validate.OneOf(
            PLATFORM_KEYS, error="Unknown platform; choose from {choices}")),
        values=_text(200))
    created_at = fields.DateTime(format="iso", dump_only=True)


class ArtistApi(PresaveApi):
    resource_name = "artists"
    datamodel = Interface(Artist)
    output_schema = ArtistSchema
    add_model_schema = ArtistSchema(exclude=("id", "created_at"))
    # An artist never moves to another label: its releases and fans stay with it.
    edit_model_schema = ArtistSchema(exclude=("id", "created_at", "label_id"))
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
