"""A/B tests on fan pages: the release knows its running test (release.ab_test_id), and each
analytics event the variant its visitor saw (event.variant)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 06:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('release') as batch:
        batch.add_column(sa.Column('ab_test_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('event') as batch:
        batch.add_column(sa.Column('variant', sa.String(1), nullable=True))


def downgrade():
    with op.batch_alter_table('event') as batch:
        batch.drop_column('variant')
    with op.batch_alter_table('release') as batch:
        batch.drop_column('ab_test_id')
