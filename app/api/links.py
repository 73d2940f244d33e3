"""/api/v1/releases/<id>/links: a release's streaming links, set, replaced, hidden by staff.

A mixin of ReleaseApi (its permissions: reading needs can_get, changing can_put). A link
set here has source "manual" and is never changed by the link job.
"""
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from marshmallow import Schema, ValidationError, fields

from app.releases import links as streaming_links
from app.api.base import actor, json_object
from app.extensions import db
from app.platforms import web_links

PLATFORM_HELP = f"One of {', '.join(web_links.LINK_PLATFORMS)}"


class LinkSchema(Schema):
    platform = fields.String(metadata={"description": PLATFORM_HELP})
    name = fields.String()
    url = fields.String()
    item_id = fields.String(allow_none=True,
                            metadata={"description": "The item pre-saves save, when known"})
    item_kind = fields.String(allow_none=True, metadata={
        "description": "What item_id is: track (a single's, or an EP's or album's focus track "
                       "where the platform saves no albums) or album"})
    source = fields.String(metadata={"description": "isrc, upc, search (verified title and "
                                                    "artist), resolver (Odesli) or manual"})
    why = fields.String(allow_none=True, metadata={"description": "Why this item was chosen"})
    hidden = fields.Boolean(metadata={"description": "Kept off the fan page"})
    found_at = fields.DateTime(format="iso")


class LinkChecksSchema(Schema):
    attempts = fields.Integer()
    last_checked_at = fields.DateTime(format="iso", allow_none=True)
    next_check_at = fields.DateTime(format="iso", allow_none=True)
    gave_up_at = fields.DateTime(format="iso", allow_none=True, metadata={
        "description": "Set when 72 hours after the release some were still not found"})
    missing = fields.List(fields.String(), metadata={"description": "Enabled platforms with "
                                                                    "no link yet"})


class LinksSchema(Schema):
    release_id = fields.Integer()
    links = fields.List(fields.Nested(LinkSchema))
    checks = fields.Nested(LinkChecksSchema)


class LinkInputSchema(Schema):
    platform = fields.String(metadata={"description": PLATFORM_HELP})
    url = fields.String(metadata={"description": "https, on the platform's own host"})
    hidden = fields.Boolean(metadata={"description": "true: keep it off the fan page"})


def _body(require_platform):
    data = LinkInputSchema().load(json_object())
    if require_platform and not data.get("platform"):
        raise ValidationError("Name the platform", field_name="platform")
    if "url" not in data and "hidden" not in data:
        raise ValidationError("Give the url, hidden, or both", field_name="url")
    return data


def _field_of(message):
    return "platform" if message.startswith("Unknown platform") else "url"


class LinkRoutes:
    """ReleaseApi's link routes; the API provides scoped_item() and response helpers."""

    openapi_spec_component_schemas = (LinksSchema, LinkInputSchema)

    @expose("/<int:pk>/links", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def links(self, pk):
        """The release's streaming links and where their look-ups stand.
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: Links (hidden ones included) and the look-ups
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/LinksSchema'}
            404: {$ref: '#/components/responses/404'}
        """
        release = self.scoped_item(pk)
        if release is None:
            return self.response_404()
        return self.response(200, **_report(release))

    @expose("/<int:pk>/links", methods=["POST"])
    @protect()
    @safe
    @permission_name("put")
    def add_link(self, pk):
        """Set a platform's link by hand (or hide it): the platform is named in the body.
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/LinkInputSchema'}
          responses:
            200: {description: The link was replaced or hidden}
            201: {description: The link was set}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        return self._set_link(pk, None)

    @expose("/<int:pk>/links/<platform>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    def put_link(self, pk, platform):
        """Set, replace, hide or show one platform's link.
        ---
        put:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: path, name: platform, required: true, schema: {type: string}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/LinkInputSchema'}
          responses:
            200: {description: The link was replaced or hidden}
            201: {description: The link was set}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        return self._set_link(pk, platform)

    @expose("/<int:pk>/links/<platform>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("put")
    def delete_link(self, pk, platform):
        """Remove one platform's link (the link job may find it again; hide it to keep it
        off the fan page).
        ---
        delete:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: path, name: platform, required: true, schema: {type: string}}
          responses:
            200: {description: The link was removed}
            404: {$ref: '#/components/responses/404'}
        """
        release = self.scoped_item(pk)
        if release is None:
            return self.response_404()
        try:
            removed = streaming_links.remove_link(release, platform)
        except ValueError as exc:
            return self.response(404, message=str(exc))
        if not removed:
            return self.response(404, message=f"No {web_links.name(platform)} link to remove")
        db.session.commit()
        return self.response(200, message=f"The {web_links.name(platform)} link was removed",
                             **_report(release))

    def _set_link(self, pk, platform):
        release = self.scoped_item(pk)
        if release is None:
            return self.response_404()
        if platform is not None and platform not in web_links.LINK_PLATFORMS:
            return self.response(404, message=f"Unknown platform; links can be set for "
                                             f"{', '.join(web_links.LINK_PLATFORMS)}")
        try:
            data = _body(require_platform=platform is None)
            try:
                row, created = streaming_links.set_link(
                    release, platform or data["platform"], data.get("url"), data.get("hidden"),
                    actor=actor())
            except ValueError as exc:
                raise ValidationError(str(exc), field_name=_field_of(str(exc))) from exc
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            messages = exc.normalized_messages()
            return self.response(422, message=messages)
        return self.response(201 if created else 200,
                             result=LinkSchema().dump(streaming_links.as_dict(row)))


def _report(release):
    return LinksSchema().dump({
        "release_id": release.id,
        "links": [streaming_links.as_dict(row) for row in streaming_links.links(release)],
        "checks": streaming_links.checks(release)})
