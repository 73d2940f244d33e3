"""artists: "offer fans to follow the artist" (was follow_on_spotify): each platform whose API
can follow is offered to the fan on its own line after the pre-save, never done on its own

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 09:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('artist') as batch:
        batch.alter_column('follow_on_spotify', new_column_name='offer_follow')


def downgrade():
    with op.batch_alter_table('artist') as batch:
        batch.alter_column('offer_follow', new_column_name='follow_on_spotify')
