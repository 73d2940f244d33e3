"""/api/v1/releases/<id>/variants: the A/B test of a release's fan page and its variants.

A mixin of ReleaseApi (its permissions: reading needs can_get, changing can_put). The rules
(app.releases.ab_tests) decide what may change when: a refusal for the test's state is a
409, a bad value a 422, a variant that is not there a 404.
"""
from flask import request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from marshmallow import Schema, ValidationError, fields, validate

from app.api.base import actor, field_errors, json_object
from app.models.ab_test import KEYS, STATES
from app.releases import ab_tests, rules
from app.uploads import read_upload

ACTIONS = ("start", "stop", "choose_winner")


class VariantSchema(Schema):
    key = fields.String(metadata={"description": "A (the release as it is, the control) to D"})
    name = fields.String()
    headline = fields.String(allow_none=True, metadata={"description": "None: the release's"})
    description = fields.String(allow_none=True, metadata={"description": "None: the release's"})
    artwork_url = fields.String(allow_none=True, metadata={"description": "None: the release's"})
    weight = fields.Integer()
    share = fields.Float(metadata={"description": "Its share of visitors (weight / all)"})


class AbTestSchema(Schema):
    release_id = fields.Integer()
    test = fields.Dict(allow_none=True, metadata={
        "description": f"None before the first variant; state is one of {', '.join(STATES)}"})
    variants = fields.List(fields.Nested(VariantSchema))


class VariantInputSchema(Schema):
    name = fields.String(metadata={"description": "What staff call it (at most 80 characters)"})
    headline = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    weight = fields.Integer(strict=True, metadata={"description": "1 to 100; equal: even split"})


class TestActionSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    winner = fields.String(validate=validate.OneOf(KEYS),
                           metadata={"description": "For choose_winner: the variant's key"})
    auto_stop = fields.Boolean(metadata={"description": "For start: stop by itself once a "
                                                        "winner is clear (checked hourly)"})
    min_presaves = fields.Integer(strict=True, metadata={
        "description": "For start: pre-savers each variant needs before it stops by itself"})


def _report(release):
    test = ab_tests.latest_test(release)
    shown = ab_tests.as_dict(test) if test else None
    variants = []
    if shown:
        variants = shown.pop("variants")
        for row in variants:
            row["artwork_url"] = rules.image_url(row.pop("artwork"))
    return AbTestSchema().dump({"release_id": release.id, "test": shown, "variants": variants})


class VariantRoutes:
    """ReleaseApi's variant routes; the API provides scoped_item() and commit()."""

    openapi_spec_component_schemas = (AbTestSchema, VariantInputSchema,
                                      TestActionSchema)

    @expose("/<int:pk>/variants", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def variants(self, pk):
        """The release's A/B test (its open one, else its last) and its variants.
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: The test, or none yet
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/AbTestSchema'}
            404: {$ref: '#/components/responses/404'}
        """
        release = self.scoped_item(pk)
        if release is None:
            return self.response_404()
        return self.response(200, **_report(release))

    @expose("/<int:pk>/variants", methods=["POST"])
    @protect()
    @safe
    @permission_name("put")
    def add_variant(self, pk):
        """Add a variant (the first opens a draft test beside variant A, the release as it is).
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/VariantInputSchema'}
          responses:
            201: {description: The variant was added}
            404: {$ref: '#/components/responses/404'}
            409: {description: A test is running, or has four variants already}
            422: {$ref: '#/components/responses/422'}
        """
        def work(release):
            data = VariantInputSchema().load(json_object())
            with field_errors(_field_of):
                ab_tests.add_variant(release, data.get("name"), data.get("headline"),
                                     data.get("description"), data.get("weight", 1))
        return self._variant_work(pk, work, 201)

    @expose("/<int:pk>/variants/<key>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    def put_variant(self, pk, key):
        """Change a draft's variant: its name, words or weight (fields left out stay).
        ---
        put:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: path, name: key, required: true, schema: {type: string, enum: [A, B, C, D]}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/VariantInputSchema'}
          responses:
            200: {description: The variant was changed}
            404: {$ref: '#/components/responses/404'}
            409: {description: The test is not a draft}
            422: {$ref: '#/components/responses/422'}
        """
        def work(release):
            data = VariantInputSchema().load(json_object(), partial=True)
            with field_errors(_field_of):
                ab_tests.change_variant(ab_tests.open_test(release), key, **data)
        return self._variant_work(pk, work)

    @expose("/<int:pk>/variants/<key>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("put")
    def delete_variant(self, pk, key):
        """Remove a draft's variant (not A).
        ---
        delete:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: path, name: key, required: true, schema: {type: string, enum: [A, B, C, D]}}
          responses:
            200: {description: The variant was removed}
            404: {$ref: '#/components/responses/404'}
            409: {description: The test is not a draft, or the variant is A}
        """
        return self._variant_work(
            pk, lambda release: ab_tests.remove_variant(ab_tests.open_test(release), key))

    # No @safe: an oversized body must reach the app's 413 handler.
    @expose("/<int:pk>/variants/<key>/artwork", methods=["PUT"])
    @protect()
    @permission_name("put")
    def variant_artwork(self, pk, key):
        """Upload a draft variant's artwork: JPEG, PNG or WebP, at most 10 MB, at least 640×640.
        ---
        put:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: path, name: key, required: true, schema: {type: string, enum: [A, B, C, D]}}
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    artwork: {type: string, format: binary}
          responses:
            200: {description: The variant's artwork was stored}
            404: {$ref: '#/components/responses/404'}
            409: {description: The test is not a draft, or the variant is A}
            413: {description: The upload is too large}
            422: {$ref: '#/components/responses/422'}
        """
        def work(release):
            upload = request.files.get("artwork")
            if upload is None:
                raise ValidationError("Send the image as the multipart file field 'artwork'",
                                      field_name="artwork")
            test = ab_tests.open_test(release)
            with field_errors("artwork"):
                ab_tests.set_artwork(test, key, read_upload(upload))
        return self._variant_work(pk, work)

    @expose("/<int:pk>/variants/test", methods=["POST"])
    @protect()
    @safe
    @permission_name("put")
    def test_action(self, pk):
        """Start the draft, stop the running test, or choose the winner (its artwork and
        words become the release's own).
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/TestActionSchema'}
          responses:
            200: {description: Done}
            404: {$ref: '#/components/responses/404'}
            409: {description: The test's state does not allow it}
            422: {$ref: '#/components/responses/422'}
        """
        def work(release):
            data = TestActionSchema().load(json_object())
            if data["action"] == "choose_winner":
                if not data.get("winner"):
                    raise ValidationError("Name the winning variant", field_name="winner")
                ab_tests.choose_winner(release, data["winner"], actor())
            elif data["action"] == "start":
                with field_errors("min_presaves"):
                    ab_tests.start(release, data.get("auto_stop"), data.get("min_presaves"))
            else:
                ab_tests.stop(release)
        return self._variant_work(pk, work)

    def _variant_work(self, pk, work, status=200):
        release = self.scoped_item(pk)
        if release is None:
            return self.response_404()
        def done():
            work(release)
            return release
        try:
            answer = self.commit(status, done)
        except LookupError as exc:
            return self._refuse(404, str(exc))
        if answer.status_code != status:
            return answer
        return self.response(status, **_report(release))


def _field_of(message):
    for field in ("weight", "headline", "description"):
        if field in message:
            return field
    return "name"
