"""GET /api/v1/releases/<id>/analytics: the funnel, platforms, cities, sources and daily series."""
from flask import request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from marshmallow import Schema, fields

from app.api.described import DescribedTruly
from app.analytics import queries


class StepSchema(Schema):
    kind = fields.String()
    label = fields.String()
    count = fields.Integer()
    step_rate = fields.Float(allow_none=True, metadata={"description": "count / the step before"})
    overall_rate = fields.Float(allow_none=True, metadata={"description": "count / page views"})


class FunnelSchema(Schema):
    steps = fields.List(fields.Nested(StepSchema), metadata={
        "description": "page_view, platform_click, authorization_started, presave_completed, "
                       "delivered"})
    overall_rate = fields.Float(allow_none=True, metadata={"description": "delivered / views"})
    presave_rate = fields.Float(allow_none=True, metadata={"description": "pre-saves / views"})
    reminder_signups = fields.Integer()


class PlatformShareSchema(Schema):
    platform = fields.String()
    name = fields.String()
    presaves = fields.Integer()
    share = fields.Float(allow_none=True)


class CitySchema(Schema):
    city = fields.String()
    region = fields.String()
    country = fields.String()
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    views = fields.Integer()
    presaves = fields.Integer()
    conversion = fields.Float(allow_none=True)


class ReferrerSchema(Schema):
    referrer = fields.String(metadata={"description": "the referring site, or direct"})
    views = fields.Integer()
    presaves = fields.Integer()
    conversion = fields.Float(allow_none=True)


class CampaignSchema(Schema):
    utm_source = fields.String()
    utm_medium = fields.String()
    utm_campaign = fields.String()
    views = fields.Integer()
    presaves = fields.Integer()
    conversion = fields.Float(allow_none=True)


class DaySchema(Schema):
    day = fields.Date(metadata={"description": "UTC date"})
    page_view = fields.Integer()
    presave_completed = fields.Integer()
    reminder_signup = fields.Integer()
    delivered = fields.Integer()


class ReleaseAnalyticsSchema(Schema):
    release_id = fields.Integer()
    from_ = fields.Date(data_key="from", attribute="from", allow_none=True)
    to = fields.Date(allow_none=True)
    totals = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "events per kind in the period"})
    funnel = fields.Nested(FunnelSchema)
    platforms = fields.List(fields.Nested(PlatformShareSchema))
    cities = fields.List(fields.Nested(CitySchema), metadata={
        "description": "by pre-saves, then views; at most 100"})
    referrers = fields.List(fields.Nested(ReferrerSchema))
    campaigns = fields.List(fields.Nested(CampaignSchema))
    daily = fields.List(fields.Nested(DaySchema), metadata={
        "description": "every day of the period, days without events included"})


class ReleaseAnalyticsApi(DescribedTruly, BaseApi):
    resource_name = "releases"
    allow_browser_login = False
    openapi_spec_tag = "Analytics"
    openapi_spec_component_schemas = (ReleaseAnalyticsSchema,)

    @expose("/<int:pk>/analytics", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """A release's analytics: funnel, platforms, cities, sources and the daily series.
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: query, name: from, description: first UTC day (YYYY-MM-DD),
             schema: {type: string, format: date}}
          - {in: query, name: to, description: last UTC day (YYYY-MM-DD),
             schema: {type: string, format: date}}
          responses:
            200:
              description: The release's analytics over the period (all time by default)
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/ReleaseAnalyticsSchema'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            404: {$ref: '#/components/responses/404'}
        """
        release = queries.visible_release(pk)
        if release is None:
            return self.response_404()
        try:
            period = queries.Period.from_args(request.args)
        except ValueError as exc:
            return self.response_400(message=str(exc))
        return self.response(200, **ReleaseAnalyticsSchema().dump(
            queries.release_report(release, period)))
