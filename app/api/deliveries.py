"""The body of GET /api/v1/releases/<id>/deliveries: counts, warnings and (staff only) fans."""
from marshmallow import Schema, fields

from app.releases import ledger, readiness
from app.tenants.security import may_do


class StateCountsSchema(Schema):
    platform = fields.String()
    name = fields.String()
    total = fields.Integer()
    states = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "pending, retrying, in_progress, delivered, failed, cancelled"})


class CountsSchema(Schema):
    saves = fields.List(fields.Nested(StateCountsSchema))
    reminders = fields.List(fields.Nested(StateCountsSchema))


class EntrySchema(Schema):
    id = fields.Integer()
    fan_name = fields.String()
    fan_email = fields.String()
    platform = fields.String()
    action = fields.String(metadata={"description": "save, or remind the fan"})
    origin = fields.String(metadata={"description": "page (the fan, on this release's page) or "
                                                    "future_save (added at the opening: the fan "
                                                    "asked on an earlier release)"})
    state = fields.String()
    saved_as = fields.String(allow_none=True, metadata={
        "description": "delivered: what went into the fan's library, track or album (an EP's "
                       "or album's, where the platform saves albums), or pre_add (Apple Music: "
                       "the album added before its release, from its pre-order)"})
    attempts = fields.Integer()
    reason = fields.String(metadata={"description": "the last error in plain words"})
    reason_code = fields.String(metadata={"description": "the last error as recorded"})
    created_at = fields.DateTime(format="iso")
    updated_at = fields.DateTime(format="iso")
    next_attempt_at = fields.DateTime(format="iso")
    delivered_at = fields.DateTime(format="iso")


class FansSchema(Schema):
    count = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
    items = fields.List(fields.Nested(EntrySchema))


class WarningSchema(Schema):
    kind = fields.String(metadata={"description": "grants_expire, item_missing, "
                                                  "focus_track_missing, "
                                                  "no_credentials, sandbox, user_limit, "
                                                  "links_missing, "
                                                  "links_gave_up, email_not_set_up, "
                                                  "email_caught or sms_not_set_up"})
    platforms = fields.List(fields.String())
    title = fields.String()
    what_happens = fields.String()
    what_to_do = fields.String()


class DeliveriesSchema(Schema):
    release_id = fields.Integer()
    counts = fields.Nested(CountsSchema)
    warnings = fields.List(fields.Nested(WarningSchema))
    fans = fields.Nested(FansSchema, metadata={"description": "Label staff only; absent for "
                                                              "Artist users"})


def report(release, query):
    body = {"release_id": release.id, "counts": ledger.counts(release),
            "warnings": [w.as_dict() for w in readiness.warnings(release, may_do=may_do)]}
    if ledger.sees_fans():
        items, total = query.page_of(release)
        body["fans"] = {"count": total, "page": query.page, "page_size": query.page_size,
                        "items": items}
    return DeliveriesSchema().dump(body)
