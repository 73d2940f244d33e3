from flask import g
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import select
from wtforms import BooleanField, StringField, ValidationError
from wtforms.validators import Optional

from app import validation
from app.extensions import db
from app.localtime import all_zones
from app.models import Artist
from app.platform_table import PLATFORM_CHOICES
from app.uploads import store_image
from app.views.base import PresaveModelView
from app.views.fields import (ImageUpload, color_field, label_field, mode_field, rule,
                              timezone_field)

PLATFORM_ID_FIELDS = {f"{key}_artist_id": key for key, _ in PLATFORM_CHOICES}


def _slug_is_free(form, field):
    """Artist slugs are global (they are fan page addresses), so look across labels."""
    stmt = select(Artist.id).where(Artist.slug == field.data)
    taken = db.session.execute(stmt, execution_options={"all_tenants": True}).scalar()
    if taken is not None and taken != getattr(form, "_id", None):
        raise ValidationError("This slug is already taken; choose another")


def _artist_form_fields():
    fields = {
        "label": label_field(),
        "slug": StringField("Slug", description="Used in fan page addresses: /s/<slug>/...",
                            validators=[rule(validation.slug), _slug_is_free]),
        "primary_color": color_field("Primary colour", "#1d1d1f"),
        "accent_color": color_field("Accent colour (buttons)", "#1db954"),
        "background_color": color_field("Background colour", "#ffffff"),
        "text_color": color_field("Text colour", "#111111"),
        "wrapper_enabled": BooleanField("Data wrapper on", default=True, description=(
            "Ask fans for the details below before they pre-save")),
        "follow_on_spotify": BooleanField("Also follow the artist on Spotify"),
        "collect_name": mode_field("Ask for name"),
        "collect_email": mode_field("Ask for email"),
        "collect_phone": mode_field("Ask for phone", "off"),
        "timezone": timezone_field("Time zone", all_zones(), required=False),
        "image_upload": ImageUpload("Artist image", min_pixels=300,
                                    description="JPEG, PNG or WebP, at least 300×300"),
    }
    for name, key in PLATFORM_ID_FIELDS.items():
        label = dict(PLATFORM_CHOICES)[key]
        fields[name] = StringField(f"{label} artist id", validators=[Optional()])
    return fields


class ArtistView(PresaveModelView):
    """The roster: artists, their branding and the data wrapper on their pages."""

    datamodel = SQLAInterface(Artist)
    route_base = "/artists"
    noun = ("artist", "artists")
    list_columns = ["name", "label", "release_count", "fan_count", "presave_count", "timezone",
                    "created_at"]
    show_columns = ["name", "slug", "label", "timezone", "bio", "image", "primary_color",
                    "accent_color", "background_color", "text_color", "wrapper_enabled",
                    "collect_name", "collect_email", "collect_phone", "consent_email_text",
                    "consent_sms_text", "follow_on_spotify", "platform_ids"]
    form_columns = ["label", "name", "slug", "timezone", "bio", "image_upload", "primary_color",
                    "accent_color", "background_color", "text_color", "wrapper_enabled",
                    "collect_name", "collect_email", "collect_phone", "consent_email_text",
                    "consent_sms_text", "follow_on_spotify", *PLATFORM_ID_FIELDS]
    add_columns = edit_columns = form_columns
    add_form_extra_fields = edit_form_extra_fields = _artist_form_fields()
    label_columns = {"release_count": "Releases", "fan_count": "Fans",
                     "presave_count": "Pre-saves", "timezone": "Time zone", "created_at": "Added"}
    search_columns = ["name", "slug"]
    base_order = ("name", "asc")

    def prefill_form(self, form, pk):
        artist = self.datamodel.get(pk)
        for name, key in PLATFORM_ID_FIELDS.items():
            getattr(form, name).data = (artist.platform_ids or {}).get(key)

    def process_form(self, form, is_created):
        g.artist_extras = {
            "image": form.image_upload.image_bytes,
            "platform_ids": {key: form[name].data.strip() for name, key in PLATFORM_ID_FIELDS.items()
                             if (form[name].data or "").strip()},
        }

    def pre_add(self, item):
        self._apply_extras(item)

    def pre_update(self, item):
        self._apply_extras(item)

    @staticmethod
    def _apply_extras(item):
        extras = g.pop("artist_extras", {})
        item.platform_ids = extras.get("platform_ids", {})
        if extras.get("image"):
            item.image = store_image(extras["image"], min_pixels=300)
