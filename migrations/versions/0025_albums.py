"""Albums and EPs: a release's kind, what a streaming link's item is, what a delivered
pre-save saved

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('release') as batch:
        batch.add_column(sa.Column('kind', sa.String(10), nullable=False, server_default='single'))
    with op.batch_alter_table('streaming_link') as batch:
        batch.add_column(sa.Column('item_kind', sa.String(10), nullable=False,
                                   server_default='track'))
    with op.batch_alter_table('presave') as batch:
        batch.add_column(sa.Column('saved_as', sa.String(10), nullable=True))
    # Every pre-save delivered so far saved a track
    op.execute("UPDATE presave SET saved_as = 'track' WHERE state = 'delivered' AND action = 'save'")


def downgrade():
    with op.batch_alter_table('presave') as batch:
        batch.drop_column('saved_as')
    with op.batch_alter_table('streaming_link') as batch:
        batch.drop_column('item_kind')
    with op.batch_alter_table('release') as batch:
        batch.drop_column('kind')
