"""presave action, one authorization per platform account

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:02:59.391469

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():

    with op.batch_alter_table('authorization', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_authorization_artist_account', ['artist_id', 'platform', 'platform_user_id'])

    with op.batch_alter_table('presave', schema=None) as batch_op:
        batch_op.add_column(sa.Column('action', sa.String(length=10), server_default='save', nullable=False))




def downgrade():

    with op.batch_alter_table('presave', schema=None) as batch_op:
        batch_op.drop_column('action')

    with op.batch_alter_table('authorization', schema=None) as batch_op:
        batch_op.drop_constraint('uq_authorization_artist_account', type_='unique')


