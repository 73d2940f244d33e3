"""Migration 0014 builds exactly what the models describe for accounts, and goes back down."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app.extensions import db

OURS = ("account_token", "locked_until", "totp_secret_sealed", "totp_enabled_at",
        "totp_last_step")


def _differences():
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Model.metadata)
    return [d for d in diffs if any(name in repr(d) for name in OURS)]


def test_the_account_schema_matches_the_models_and_downgrades(app):
    with app.app_context():
        assert _differences() == []
        downgrade(revision="0013")
        try:
            columns = {c["name"] for c in inspect(db.engine).get_columns("ab_user")}
            assert "account_token" not in inspect(db.engine).get_table_names()
            assert not columns & set(OURS)
        finally:
            upgrade()
        assert _differences() == []
