"""GET /metrics: Prometheus's scrape (app.metrics, app.jobs.backlog). Only from this machine
without a proxy in between, or anywhere with ``Authorization: Bearer <METRICS_TOKEN>``."""
from flask import Blueprint, Response, abort, current_app, request

from app import metrics
from app.jobs.backlog import Backlog
from app.views.public.internal_callers import from_this_machine, holds

metrics_bp = Blueprint("metrics", __name__)
BEARER = "Bearer "


@metrics_bp.get("/metrics")
def scrape():
    given = request.headers.get("Authorization", "")
    token = given[len(BEARER):] if given.startswith(BEARER) else ""
    if not (holds(current_app.config.get("METRICS_TOKEN"), token) or from_this_machine()):
        abort(403, "Metrics are for this machine, or with the metrics token")
    body, content_type = metrics.exposition(current_app.config.get("PROMETHEUS_MULTIPROC_DIR"),
                                            Backlog())
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})
