"""link resolution: when a release's links are looked up next, how often, when it gave up;
why a link's item was chosen

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 15:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('release', schema=None) as batch_op:
        batch_op.add_column(sa.Column('links_next_check_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('links_checked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('links_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('links_gave_up_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_release_links_next_check_at', ['links_next_check_at'], unique=False)
    with op.batch_alter_table('streaming_link', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table('streaming_link', schema=None) as batch_op:
        batch_op.drop_column('note')
    with op.batch_alter_table('release', schema=None) as batch_op:
        batch_op.drop_index('ix_release_links_next_check_at')
        batch_op.drop_column('links_gave_up_at')
        batch_op.drop_column('links_attempts')
        batch_op.drop_column('links_checked_at')
        batch_op.drop_column('links_next_check_at')
