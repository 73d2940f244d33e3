"""/api/v1/releases/: releases with local dates, status actions and artwork."""
from datetime import time

from flask import request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from marshmallow import Schema, ValidationError, fields, validate

from app.releases import rules
from app import validation
from app.api import deliveries
from app.api.links import LinkRoutes
from app.api.variants import VariantRoutes
from app.api.base import (CheckedList, CheckedString, Interface, LocalDateTime, PresaveApi, actor,
                          field_errors, id_field, visible)
from app.releases.ledger import LedgerQuery
from app.models import Artist, Release
from app.models.release import DESCRIPTION_MAX, HEADLINE_MAX, KINDS, RELEASE_MODES, SINGLE
from app.uploads import read_upload, store_image

DATE_FIELDS = ("presave_opens_at", "release_at", "timezone")
PLAIN_FIELDS = ("title", "slug", "platforms", "release_mode", "headline", "description")
CODE_FIELDS = ("kind", "isrc", "upc")
KIND_HELP = ("single, ep or album: an EP or album is saved as the album where the platform "
             "can (Spotify, Apple Music, Deezer, TIDAL), else as its focus track")
LOCAL_HELP = "Local wall-clock time in the release's time zone, ISO 8601 without offset"


class ArtistBriefSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    slug = fields.String()


class ReleaseSchema(Schema):
    """What a release looks like from outside: local times beside their UTC instants."""

    id = fields.Integer()
    title = fields.String()
    slug = fields.String()
    status = fields.String()
    artist = fields.Nested(ArtistBriefSchema)
    kind = fields.String(metadata={"description": KIND_HELP})
    isrc = fields.String(allow_none=True)
    upc = fields.String(allow_none=True)
    headline = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    timezone = fields.String()
    platforms = fields.List(fields.String())
    release_mode = fields.String()
    presave_opens_at = LocalDateTime(attribute="presave_opens_local",
                                     metadata={"description": LOCAL_HELP})
    release_at = LocalDateTime(attribute="release_local", metadata={"description": LOCAL_HELP})
    presave_opens_at_utc = fields.DateTime(format="iso", attribute="presave_opens_at")
    release_at_utc = fields.DateTime(format="iso", attribute="release_at")
    timing_notes = fields.String(allow_none=True)
    fan_page_url = fields.Function(rules.fan_page_url, metadata={"type": "string"})
    artwork_url = fields.Function(rules.artwork_url, allow_none=True,
                                  metadata={"type": "string"})
    created_at = fields.DateTime(format="iso")


def _local(default_time=None):
    return lambda value: rules.parse_local(value, default_time=default_time)


class ReleaseInputSchema(Schema):
    artist_id = id_field(required=True)
    title = fields.String(required=True, validate=validate.Length(
        min=1, max=200, error="Give a title of 1 to 200 characters"))
    slug = CheckedString(validation.slug, metadata={"description": "Derived from the title "
                                                                   "when left out"})
    kind = fields.String(validate=validate.OneOf(
        [key for key, _ in KINDS], error="Kind is one of {choices}"),
        metadata={"description": KIND_HELP + "; single when left out"})
    isrc = CheckedString(validation.isrc, allow_none=True, metadata={
        "description": "A single's track, or an EP's or album's focus track"})
    upc = CheckedString(validation.upc, allow_none=True, metadata={
        "description": "Required for an EP or album"})
    headline = CheckedString(lambda v: validation.plain_text(v, HEADLINE_MAX, "headline"),
                             allow_none=True, metadata={
                                 "description": f"Plain text, up to {HEADLINE_MAX} characters; "
                                                "null or blank: the stock line"})
    description = CheckedString(
        lambda v: validation.plain_text(v, DESCRIPTION_MAX, "description", lines=True),
        allow_none=True, metadata={"description": f"Plain text, up to {DESCRIPTION_MAX} "
                                                  "characters"})
    timezone = CheckedString(validation.timezone_name,
                             metadata={"description": "IANA zone; the artist's by default"})
    platforms = CheckedList(validation.platforms, fields.String(), required=True)
    release_mode = fields.String(validate=validate.OneOf(
        [key for key, _ in RELEASE_MODES], error="Release mode is one of {choices}"))
    presave_opens_at = CheckedString(_local(), required=True,
                                     metadata={"description": LOCAL_HELP})
    release_at = CheckedString(_local(time(0, 0)), required=True, metadata={
        "description": LOCAL_HELP + "; a bare date means 00:00"})
    announce = fields.Boolean(load_default=False, metadata={
        "description": "Announce at once instead of keeping a draft"})


def _date_field(message):
    # Both rules of app.releases.rules.schedule involve both dates; point at the one to fix.
    return "presave_opens_at" if "pre-save" in message else "release_at"


class ReleaseApi(LinkRoutes, VariantRoutes, PresaveApi):
    resource_name = "releases"
    datamodel = Interface(Release)
    output_schema = ReleaseSchema
    add_model_schema = ReleaseInputSchema()
    # Status moves through /announce and /archive; a release never changes artist.
    edit_model_schema = ReleaseInputSchema(exclude=("artist_id", "announce"))
    search_columns = ["title", "slug", "status", "kind", "isrc", "upc", "release_mode", "artist",
                      "release_at", "presave_opens_at", "created_at"]
    order_columns = ["title", "slug", "status", "release_at", "presave_opens_at", "created_at"]
    base_order = ("release_at", "desc")
    conflict = ("slug", "This artist already has a release with this slug")
    openapi_spec_component_schemas = (deliveries.DeliveriesSchema,
                                      *LinkRoutes.openapi_spec_component_schemas,
                                      *VariantRoutes.openapi_spec_component_schemas)

    def create(self, data):
        artist = visible(Artist, data.pop("artist_id"), "artist_id", "No artist with this id "
                         "on your roster")
        release = Release(artist=artist)
        self._set_plain(release, data)
        self._set_codes(release, data)
        release.slug = rules.slug_for(artist.id, release.slug, release.title)
        tz_name = data.get("timezone") or artist.timezone or artist.label.timezone
        with field_errors(_date_field):
            rules.schedule(release, data["presave_opens_at"], data["release_at"], tz_name)
        rules.create(release, artist, actor())
        if data["announce"]:
            rules.announce(release, actor())
        return release

    def update(self, release, data):
        mode = data.pop("release_mode", None)  # moves pending pre-saves, like a date change
        self._set_plain(release, data)
        self._set_codes(release, data)
        if mode is not None or any(key in data for key in DATE_FIELDS):
            opens = data.get("presave_opens_at", release.presave_opens_local)
            released = data.get("release_at", release.release_local)
            with field_errors(_date_field):
                rules.change_dates(release, opens, released,
                                   data.get("timezone", release.timezone), actor(),
                                   release_mode=mode)
        return release

    @staticmethod
    def _set_codes(release, data):
        if not any(key in data for key in CODE_FIELDS):
            return
        kind, isrc, upc = (data.get(key, getattr(release, key)) for key in CODE_FIELDS)
        with field_errors("upc"):  # the schema has checked the kind already
            rules.set_codes(release, kind or SINGLE, isrc, upc)

    @staticmethod
    def _set_plain(release, data):
        for key in PLAIN_FIELDS:
            if key in data:
                setattr(release, key, data[key])

    @expose("/<int:pk>/announce", methods=["POST"])
    @protect()
    @safe
    @permission_name("put")
    def announce(self, pk):
        """Announce a draft: it goes public and the clock takes it from there.
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: The release, announced
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result: {$ref: '#/components/schemas/ReleaseApi.get'}
            404: {$ref: '#/components/responses/404'}
            409: {description: The release is not a draft}
        """
        return self._transition(pk, rules.announce)

    @expose("/<int:pk>/archive", methods=["POST"])
    @protect()
    @safe
    @permission_name("put")
    def archive(self, pk):
        """Archive a release: its page goes quiet and nothing more is scheduled.
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: The release, archived
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result: {$ref: '#/components/schemas/ReleaseApi.get'}
            404: {$ref: '#/components/responses/404'}
            409: {description: The release is already archived}
        """
        return self._transition(pk, rules.archive)

    # No @safe: an oversized body must reach the app's 413 handler.
    @expose("/<int:pk>/artwork", methods=["PUT"])
    @protect()
    @permission_name("put")
    def artwork(self, pk):
        """Upload the artwork: JPEG, PNG or WebP, at most 10 MB, at least 640×640.
        ---
        put:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    artwork: {type: string, format: binary}
          responses:
            200:
              description: The release with its new artwork_url
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result: {$ref: '#/components/schemas/ReleaseApi.get'}
            404: {$ref: '#/components/responses/404'}
            413: {description: The upload is too large}
            422: {$ref: '#/components/responses/422'}
        """
        release = self.scoped_item(pk)
        if release is None:
            return self.response_404()
        return self.commit(200, lambda: _store_artwork(release, request.files.get("artwork")))

    @expose("/<int:pk>/deliveries", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def deliveries(self, pk):
        """The delivery ledger: counts by platform and state, warnings, and (label staff
        only) the per-fan list, paginated and filtered.
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: query, name: state, schema: {type: string, enum: [pending, retrying,
             in_progress, delivered, failed, cancelled]}}
          - {in: query, name: platform, schema: {type: string}}
          - {in: query, name: q, description: part of a fan's name or email, schema: {type: string}}
          - {in: query, name: page, schema: {type: integer, minimum: 1}}
          - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 200}}
          responses:
            200:
              description: Counts, warnings and fans (fans absent for Artist users)
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/DeliveriesSchema'}
            400: {$ref: '#/components/responses/400'}
            404: {$ref: '#/components/responses/404'}
        """
        release = self.scoped_item(pk)
        if release is None:
            return self.response_404()
        try:
            query = LedgerQuery.from_args(request.args)
        except ValueError as exc:
            return self.response_400(message=str(exc))
        return self.response(200, **deliveries.report(release, query))

    def _transition(self, pk, rule):
        release = self.scoped_item(pk)
        if release is None:
            return self.response_404()
        return self.commit(200, lambda: rule(release, actor()))


def _store_artwork(release, upload):
    if upload is None:
        raise ValidationError("Send the image as the multipart file field 'artwork'",
                              field_name="artwork")
    with field_errors("artwork"):
        release.artwork = store_image(read_upload(upload))
    return release
