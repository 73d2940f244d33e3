"""Future Save: a pre-save's origin (added for a fan who asked on an earlier release's page)
and when a release's future saves were added at its opening

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 09:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('presave') as batch:
        batch.add_column(sa.Column('origin', sa.String(16), nullable=True))
    with op.batch_alter_table('release') as batch:
        batch.add_column(sa.Column('future_saves_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('release') as batch:
        batch.drop_column('future_saves_at')
    with op.batch_alter_table('presave') as batch:
        batch.drop_column('origin')
