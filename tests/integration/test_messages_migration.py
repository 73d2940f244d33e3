"""Migration 0016 builds exactly what the models describe, and goes back down to 0015."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app.analytics import event_months
from app.extensions import db

TABLES = {"message", "message_recipient", "suppression", "automation", "automation_day"}


def _differences():
    """What autogenerate would change (the event table's monthly partitions left out: the
    cron makes them)."""
    with db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(
            conn, opts={"include_object": event_months.migrated}), Model.metadata)


def test_the_schema_matches_the_models_and_0016_downgrades(app):
    with app.app_context():
        assert _differences() == []
        downgrade(revision="0015")
        try:
            assert not TABLES & set(inspect(db.engine).get_table_names())
            consent = {c["name"] for c in inspect(db.engine).get_columns("consent")}
            assert "withdrawn_via" not in consent
        finally:
            upgrade()
        assert _differences() == []
