"""platform credentials: the app's quota mode (Spotify's development mode connects 5 fans)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('platform_credential') as batch:
        batch.add_column(sa.Column('quota_mode', sa.String(16), nullable=True))


def downgrade():
    with op.batch_alter_table('platform_credential') as batch:
        batch.drop_column('quota_mode')
