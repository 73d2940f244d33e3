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
    # An app that already connected more Spotify accounts than development mode allows has
    # extended quota: upgrading must not put it under the limit.
    op.execute("""
        UPDATE platform_credential SET quota_mode = 'extended'
        WHERE platform = 'spotify' AND (
            SELECT COUNT(DISTINCT a.platform_user_id) FROM "authorization" a
            WHERE a.label_id = platform_credential.label_id AND a.platform = 'spotify'
              AND a.state = 'active') > 5""")


def downgrade():
    with op.batch_alter_table('platform_credential') as batch:
        batch.drop_column('quota_mode')
