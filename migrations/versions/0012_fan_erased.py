"""fan erased_at: a fan erased at their own request stays as an empty row, so the counts and
the delivery ledger keep their pre-saves without a name, contact or place

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 02:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('fan') as batch:
        batch.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('fan') as batch:
        batch.drop_column('erased_at')
