"""release history notes: what changed besides the status, in words (an A/B test's winner
made the page)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 07:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('release_status_change') as batch:
        batch.add_column(sa.Column('note', sa.String(300), nullable=True))


def downgrade():
    with op.batch_alter_table('release_status_change') as batch:
        batch.drop_column('note')
