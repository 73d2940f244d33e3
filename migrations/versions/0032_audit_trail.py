"""The audit trail: an append-only record of who did what

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 21:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None

REFUSED = "audit entries cannot be changed, nor deleted before they are a year old"

POSTGRESQL = [f"""
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.at < now() - interval '365 days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '{REFUSED}' USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql""", """
CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()""", f"""
CREATE OR REPLACE FUNCTION audit_entry_no_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{REFUSED}' USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql""", """
CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_no_truncate()"""]

SQLITE = [f"""
CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END""", f"""
CREATE TRIGGER audit_entry_no_early_delete BEFORE DELETE ON audit_entry
WHEN julianday(OLD.at) > julianday('now') - 365
BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END"""]


def upgrade():
    op.create_table(
        'audit_entry',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column('label_id', sa.Integer(), nullable=True),
        sa.Column('actor_kind', sa.String(12), nullable=False),
        sa.Column('actor_user_id', sa.Integer(), nullable=True, index=True),
        sa.Column('actor_name', sa.String(256), nullable=False),
        sa.Column('actor_role', sa.String(64), nullable=True),
        sa.Column('action', sa.String(64), nullable=False, index=True),
        sa.Column('object_type', sa.String(32), nullable=True),
        sa.Column('object_id', sa.Integer(), nullable=True),
        sa.Column('object_name', sa.String(256), nullable=True),
        sa.Column('changes', sa.JSON(), nullable=True),
        sa.Column('detail', sa.JSON(), nullable=True),
    )
    op.create_index('ix_audit_entry_label_at', 'audit_entry', ['label_id', 'at'])
    op.create_index('ix_audit_entry_object', 'audit_entry', ['object_type', 'object_id'])
    dialect = op.get_bind().dialect.name
    for statement in POSTGRESQL if dialect == 'postgresql' else SQLITE if dialect == 'sqlite' else []:
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_entry")
        op.execute("DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry")
    op.drop_table('audit_entry')
    if dialect == 'postgresql':
        op.execute("DROP FUNCTION IF EXISTS audit_entry_no_truncate()")
        op.execute("DROP FUNCTION IF EXISTS audit_entry_append_only()")
