from flask import Blueprint, jsonify
from sqlalchemy import text

from app.extensions import db, redis_connection

health_bp = Blueprint("health", __name__)


def _check(probe):
    try:
        probe()
        return "ok"
    except Exception as exc:  # the health page reports; it never raises
        return f"error: {type(exc).__name__}"


@health_bp.route("/health")
def health():
    state = {
        "database": _check(lambda: db.session.execute(text("SELECT 1"))),
        "redis": _check(lambda: redis_connection().ping()),
    }
    healthy = all(value == "ok" for value in state.values())
    return jsonify(status="ok" if healthy else "degraded", **state), 200 if healthy else 503
