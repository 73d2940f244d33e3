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


class VariantCountsSchema(Schema):
    key = fields.String()
    name = fields.String()
    page_views = fields.Integer()
    visitors = fields.Integer(metadata={"description": "distinct visitors (a visitor a day)"})
    clickers = fields.Integer(metadata={"description": "visitors who tapped a platform"})
    presavers = fields.Integer(metadata={"description": "visitors who completed a pre-save"})
    conversion = fields.Float(allow_none=True, metadata={"description": "presavers / visitors"})


class ComparisonSchema(Schema):
    variant = fields.String()
    visitors = fields.Integer()
    conversions = fields.Integer()
    rate = fields.Float(allow_none=True)
    lift = fields.Float(allow_none=True, metadata={
        "description": "conversion minus variant A's (rate points)"})
    low = fields.Float(allow_none=True, metadata={"description": "the lift's lower bound"})
    high = fields.Float(allow_none=True, metadata={"description": "the lift's upper bound"})
    p_value = fields.Float(metadata={
        "description": "always valid (mSPRT): may be read at any time, as often as wanted"})
    verdict = fields.String(metadata={"description": "better, worse or not yet"})


class AbTestReportSchema(Schema):
    test_id = fields.Integer()
    state = fields.String()
    winner = fields.String(allow_none=True)
    started_at = fields.DateTime(format="iso", allow_none=True)
    stopped_at = fields.DateTime(format="iso", allow_none=True)
    looked_at = fields.DateTime(format="iso", allow_none=True, metadata={
        "description": "the last hourly look, whose evidence the readout keeps"})
    clear_at = fields.DateTime(format="iso", allow_none=True, metadata={
        "description": "when a look first found a clear winner (or loser)"})
    variants = fields.List(fields.Nested(VariantCountsSchema))
    readout = fields.List(fields.Nested(ComparisonSchema), metadata={
        "description": "each variant against A, at a 5 % error rate shared between them"})


class ShortLinkCountsSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    code = fields.String(metadata={"description": "the link is /r/<code>"})
    main = fields.Boolean(metadata={"description": "the fan page's own short link"})
    visits = fields.Integer(metadata={"description": "a visitor through the link a day"})
    presaves = fields.Integer(metadata={"description": "pre-saves of visits through the link"})
    conversion = fields.Float(allow_none=True)


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
    short_links = fields.List(fields.Nested(ShortLinkCountsSchema))
    daily = fields.List(fields.Nested(DaySchema), metadata={
        "description": "every day of the period, days without events included"})
    ab_test = fields.Nested(AbTestReportSchema, allow_none=True, metadata={
        "description": "the release's last A/B test of its page, over its own time (the "
                       "period does not apply); none when it never had one"})


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
