"""presave lease token: which worker holds an in-progress row

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 14:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('presave', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_token', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('presave', schema=None) as batch_op:
        batch_op.drop_column('lease_token')
