"""event stream id: each event stored once, whatever the ingest retries

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 15:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stream_id', sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint('uq_event_stream_id', ['stream_id'])


def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_constraint('uq_event_stream_id', type_='unique')
        batch_op.drop_column('stream_id')
