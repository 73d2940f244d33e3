"""Email marketing tools: a label's Mailchimp or Klaviyo connection (sealed API key, an
audience per artist) and each fan's change on its way there

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def _label():
    return sa.Column('label_id', sa.Integer(), sa.ForeignKey('label.id', ondelete='CASCADE'),
                     nullable=False, index=True)


def upgrade():
    op.create_table(
        'audience_connection',
        sa.Column('id', sa.Integer(), primary_key=True),
        _label(),
        sa.Column('provider', sa.String(16), nullable=False),
        sa.Column('api_key_sealed', sa.Text(), nullable=True),
        sa.Column('lists', sa.JSON(), nullable=False),
        sa.Column('last_error', sa.String(300), nullable=True),
        sa.Column('checked_at', WHEN, nullable=True),
        sa.Column('reconciled_at', WHEN, nullable=True),
        sa.Column('created_at', WHEN, nullable=False),
        sa.UniqueConstraint('label_id', 'provider', name='uq_audience_label_provider'),
    )
    op.create_table(
        'audience_change',
        sa.Column('id', sa.Integer(), primary_key=True),
        _label(),
        sa.Column('connection_id', sa.Integer(),
                  sa.ForeignKey('audience_connection.id', ondelete='CASCADE'), nullable=False,
                  index=True),
        sa.Column('artist_id', sa.Integer(), sa.ForeignKey('artist.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('fan_id', sa.Integer(), sa.ForeignKey('fan.id', ondelete='SET NULL'),
                  nullable=True),
        sa.Column('action', sa.String(12), nullable=False),
        sa.Column('email_sealed', sa.Text(), nullable=True),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', WHEN, nullable=True),
        sa.Column('leased_until', WHEN, nullable=True),
        sa.Column('lease_token', sa.String(32), nullable=True),
        sa.Column('last_error', sa.String(300), nullable=True),
        sa.Column('created_at', WHEN, nullable=False),
        sa.Column('updated_at', WHEN, nullable=False),
        sa.Index('ix_audience_change_due', 'state', 'next_attempt_at'),
    )


def downgrade():
    op.drop_table('audience_change')
    op.drop_table('audience_connection')
