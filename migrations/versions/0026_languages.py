"""Languages: an artist's default language for its fan pages and its consent texts in other
languages, the language a fan signed up in, the language of each consent's words

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('artist') as batch:
        batch.add_column(sa.Column('default_language', sa.String(10), nullable=False,
                                   server_default='en'))
        batch.add_column(sa.Column('consent_texts', sa.JSON(), nullable=True))
    with op.batch_alter_table('fan') as batch:
        batch.add_column(sa.Column('language', sa.String(10), nullable=False,
                                   server_default='en'))
    # Every consent stored so far was given on an English page
    with op.batch_alter_table('consent') as batch:
        batch.add_column(sa.Column('language', sa.String(10), nullable=False,
                                   server_default='en'))


def downgrade():
    with op.batch_alter_table('consent') as batch:
        batch.drop_column('language')
    with op.batch_alter_table('fan') as batch:
        batch.drop_column('language')
    with op.batch_alter_table('artist') as batch:
        batch.drop_column('consent_texts')
        batch.drop_column('default_language')
