"""a release's own words on its fan page: a headline and a description (plain text; blank, the
stock line)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 02:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('release') as batch:
        batch.add_column(sa.Column('headline', sa.String(120), nullable=True))
        batch.add_column(sa.Column('description', sa.String(600), nullable=True))


def downgrade():
    with op.batch_alter_table('release') as batch:
        batch.drop_column('description')
        batch.drop_column('headline')
