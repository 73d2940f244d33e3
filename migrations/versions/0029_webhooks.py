"""Webhooks: a label's endpoints (URL, events, sealed signing secret, disabled after a day of
failures), each event's delivery to one, and every attempt with the receiver's answer

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def _label():
    return sa.Column('label_id', sa.Integer(), sa.ForeignKey('label.id', ondelete='CASCADE'),
                     nullable=False, index=True)


def upgrade():
    op.create_table(
        'webhook_endpoint',
        sa.Column('id', sa.Integer(), primary_key=True),
        _label(),
        sa.Column('url', sa.String(500), nullable=False),
        sa.Column('description', sa.String(200), nullable=True),
        sa.Column('events', sa.JSON(), nullable=False),
        sa.Column('secret_sealed', sa.Text(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('disabled_reason', sa.String(300), nullable=True),
        sa.Column('disabled_at', WHEN, nullable=True),
        sa.Column('failing_since', WHEN, nullable=True),
        sa.Column('created_by', sa.String(120), nullable=True),
        sa.Column('created_at', WHEN, nullable=False),
    )
    op.create_table(
        'webhook_delivery',
        sa.Column('id', sa.Integer(), primary_key=True),
        _label(),
        sa.Column('endpoint_id', sa.Integer(),
                  sa.ForeignKey('webhook_endpoint.id', ondelete='CASCADE'), nullable=False),
        sa.Column('message_id', sa.String(40), nullable=False),
        sa.Column('event_type', sa.String(40), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', WHEN, nullable=True),
        sa.Column('leased_until', WHEN, nullable=True),
        sa.Column('lease_token', sa.String(32), nullable=True),
        sa.Column('last_error', sa.String(300), nullable=True),
        sa.Column('created_at', WHEN, nullable=False),
        sa.Column('updated_at', WHEN, nullable=False),
        sa.Column('delivered_at', WHEN, nullable=True),
        sa.Index('ix_webhook_delivery_due', 'state', 'next_attempt_at'),
        sa.Index('ix_webhook_delivery_endpoint', 'endpoint_id', 'id'),
    )
    op.create_table(
        'webhook_attempt',
        sa.Column('id', sa.Integer(), primary_key=True),
        _label(),
        sa.Column('delivery_id', sa.Integer(),
                  sa.ForeignKey('webhook_delivery.id', ondelete='CASCADE'), nullable=False,
                  index=True),
        sa.Column('at', WHEN, nullable=False),
        sa.Column('status', sa.Integer(), nullable=True),
        sa.Column('answer_ms', sa.Integer(), nullable=True),
        sa.Column('excerpt', sa.String(500), nullable=True),
        sa.Column('error', sa.String(300), nullable=True),
    )


def downgrade():
    op.drop_table('webhook_attempt')
    op.drop_table('webhook_delivery')
    op.drop_table('webhook_endpoint')
