"""An automation's words in other languages; the language each message went out in

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('automation') as batch:
        batch.add_column(sa.Column('translations', sa.JSON(), nullable=True))
    with op.batch_alter_table('message_recipient') as batch:
        batch.add_column(sa.Column('language', sa.String(10), nullable=True))


def downgrade():
    with op.batch_alter_table('message_recipient') as batch:
        batch.drop_column('language')
    with op.batch_alter_table('automation') as batch:
        batch.drop_column('translations')
