"""Apple Music in every storefront: each Apple fan's storefront, and a release's item id in
the storefronts other than APPLE_STOREFRONT's

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 09:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('authorization') as batch:
        batch.add_column(sa.Column('storefront', sa.String(8), nullable=True))
    with op.batch_alter_table('streaming_link') as batch:
        batch.add_column(sa.Column('storefront_ids', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('streaming_link') as batch:
        batch.drop_column('storefront_ids')
    with op.batch_alter_table('authorization') as batch:
        batch.drop_column('storefront')
