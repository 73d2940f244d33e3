"""fan messages: messages (automations per release, blasts), a ledger row per recipient (with
its clicks), the artists' suppression lists and automation settings, the one-a-day claim, and
how a consent was withdrawn

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def _owned(artist=True):
    columns = [sa.Column('label_id', sa.Integer(), sa.ForeignKey('label.id', ondelete='CASCADE'),
                         nullable=False, index=True)]
    if artist:
        columns.append(sa.Column('artist_id', sa.Integer(),
                                 sa.ForeignKey('artist.id', ondelete='CASCADE'),
                                 nullable=False, index=True))
    return columns


def upgrade():
    op.create_table(
        'message',
        sa.Column('id', sa.Integer(), primary_key=True),
        *_owned(artist=False),
        sa.Column('artist_id', sa.Integer(), sa.ForeignKey('artist.id', ondelete='CASCADE'),
                  nullable=True, index=True),
        sa.Column('release_id', sa.Integer(), sa.ForeignKey('release.id', ondelete='CASCADE'),
                  nullable=True, index=True),
        sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('automation_key', sa.String(60), nullable=True, unique=True),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('subject', sa.String(200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('sms_body', sa.Text(), nullable=True),
        sa.Column('channels', sa.String(20), nullable=False),
        sa.Column('segment', sa.JSON(), nullable=True),
        sa.Column('send_at', WHEN, nullable=True),
        sa.Column('created_at', WHEN, nullable=False),
    )
    op.create_table(
        'message_recipient',
        sa.Column('id', sa.Integer(), primary_key=True),
        *_owned(),
        sa.Column('message_id', sa.Integer(), sa.ForeignKey('message.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('fan_id', sa.Integer(), sa.ForeignKey('fan.id', ondelete='CASCADE'),
                  nullable=False, index=True),
        sa.Column('release_id', sa.Integer(), sa.ForeignKey('release.id', ondelete='CASCADE'),
                  nullable=True, index=True),
        sa.Column('platform', sa.String(32), nullable=True),
        sa.Column('channel', sa.String(10), nullable=False),
        sa.Column('state', sa.String(20), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', WHEN, nullable=True),
        sa.Column('leased_until', WHEN, nullable=True),
        sa.Column('lease_token', sa.String(32), nullable=True),
        sa.Column('provider_id', sa.String(250), nullable=True),
        sa.Column('sent_at', WHEN, nullable=True),
        sa.Column('clicks', sa.Integer(), nullable=False),
        sa.Column('first_clicked_at', WHEN, nullable=True),
        sa.Column('created_at', WHEN, nullable=False),
        sa.Column('updated_at', WHEN, nullable=False),
        sa.UniqueConstraint('message_id', 'fan_id', 'channel', name='uq_message_recipient'),
        sa.Index('ix_message_recipient_due', 'state', 'next_attempt_at'),
        sa.Index('ix_message_recipient_message_state', 'message_id', 'state'),
    )
    op.create_table(
        'suppression',
        sa.Column('id', sa.Integer(), primary_key=True),
        *_owned(),
        sa.Column('channel', sa.String(10), nullable=False),
        sa.Column('address_hash', sa.String(64), nullable=False),
        sa.Column('reason', sa.String(20), nullable=False),
        sa.Column('created_at', WHEN, nullable=False),
        sa.UniqueConstraint('artist_id', 'channel', 'address_hash', name='uq_suppression'),
    )
    op.create_table(
        'automation',
        sa.Column('id', sa.Integer(), primary_key=True),
        *_owned(),
        sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('delay_minutes', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('sms_body', sa.Text(), nullable=True),
        sa.UniqueConstraint('artist_id', 'kind', name='uq_automation_artist_kind'),
    )
    op.create_table(
        'automation_day',
        sa.Column('id', sa.Integer(), primary_key=True),
        *_owned(),
        sa.Column('fan_id', sa.Integer(), sa.ForeignKey('fan.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('release_id', sa.Integer(), sa.ForeignKey('release.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('day', sa.String(10), nullable=False),
        sa.Column('recipient_id', sa.Integer(),
                  sa.ForeignKey('message_recipient.id', ondelete='CASCADE'),
                  nullable=False, index=True),
        sa.UniqueConstraint('fan_id', 'release_id', 'day', name='uq_automation_day'),
    )
    with op.batch_alter_table('consent') as batch:
        batch.add_column(sa.Column('withdrawn_via', sa.String(40), nullable=True))


def downgrade():
    with op.batch_alter_table('consent') as batch:
        batch.drop_column('withdrawn_via')
    for table in ('automation_day', 'automation', 'suppression', 'message_recipient',
                  'message'):
        op.drop_table(table)
