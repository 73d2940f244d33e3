"""The delivery panel of the staff release page: counts, warnings, the per-fan list.

Mixed into ReleaseView, so its routes share the view's permissions: the JSON the
panel polls needs can_show; the CSV download needs can_export, which Artist
users do not have (and they never see fans, whatever their permissions).
"""
from flask import abort, jsonify, request
from flask_appbuilder import expose, has_access
from flask_appbuilder.security.decorators import permission_name

from app.releases import ledger, ledger_csv, readiness
from app.releases.rules import next_attempt
from app.tenants.security import may_do
from app.views.base import exported_csv, filters_of

POLL_SECONDS = 5


def ledger_query(args):
    """The list's filters from the query string; a bad value is a 400 with its message."""
    try:
        return ledger.LedgerQuery.from_args(args)
    except ValueError as exc:
        abort(400, str(exc))


def panel_state(release):
    """What the panel shows and polls: counts, whether it is release day, next attempt."""
    upcoming = next_attempt(release)
    return {"live": ledger.live(release), "poll_seconds": POLL_SECONDS,
            "counts": ledger.counts(release),
            "next_attempt_at": upcoming.isoformat() if upcoming else None}


def panel_context(release, args):
    """The template's context: the panel, the warnings and, for staff only, the list."""
    context = {"ledger": panel_state(release),
               "warnings": readiness.warnings(release, may_do=may_do),
               "states": ledger.SHOWN_STATES, "state_labels": ledger.STATE_LABELS,
               "fans": None}
    if ledger.sees_fans():
        query = ledger_query(args)
        entries, total = query.page_of(release)
        context["fans"] = {"query": query, "entries": entries, "total": total,
                           "pages": max(1, -(-total // query.page_size))}
    return context


class DeliveryRoutes:
    """ReleaseView's delivery routes; the view provides _release_or_404."""

    @expose("/<int:pk>/deliveries.json", methods=["GET"])
    @has_access
    @permission_name("show")
    def deliveries_json(self, pk):
        return jsonify(panel_state(self._release_or_404(pk)))

    @expose("/<int:pk>/deliveries.csv", methods=["GET"])
    @has_access
    @permission_name("export")
    def deliveries_csv(self, pk):
        if not ledger.sees_fans():
            abort(403)
        release = self._release_or_404(pk)
        entries = ledger_query(request.args).every_entry(release)
        return exported_csv(ledger_csv.lines(entries), f"deliveries-{release.id}.csv",
                            "export.deliveries", release,
                            detail=filters_of(request.args))
