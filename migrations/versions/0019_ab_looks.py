"""A/B tests' hourly looks: each variant's best evidence so far (peaks), when the test was
last looked at, and when a winner was first clear

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade():
    with op.batch_alter_table('ab_test') as batch:
        batch.add_column(sa.Column('peaks', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('looked_at', WHEN, nullable=True))
        batch.add_column(sa.Column('clear_at', WHEN, nullable=True))


def downgrade():
    with op.batch_alter_table('ab_test') as batch:
        batch.drop_column('clear_at')
        batch.drop_column('looked_at')
        batch.drop_column('peaks')
