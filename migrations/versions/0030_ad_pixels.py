"""Ad pixels: a label's (and an artist's own) Meta Pixel, TikTok Pixel and Google tag ids and
sealed conversion API tokens; each visitor's answer to the fan page's cookie question; the
ledger of conversions sent to the ad platforms' APIs

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def _owner(column, table, nullable=False):
    return sa.Column(column, sa.Integer(), sa.ForeignKey(f'{table}.id', ondelete='CASCADE'),
                     nullable=nullable, index=True)


def upgrade():
    op.create_table(
        'ad_pixels',
        sa.Column('id', sa.Integer(), primary_key=True),
        _owner('label_id', 'label'),
        _owner('artist_id', 'artist', nullable=True),
        sa.Column('meta_pixel_id', sa.String(20), nullable=True),
        sa.Column('tiktok_pixel_code', sa.String(32), nullable=True),
        sa.Column('google_tag_id', sa.String(32), nullable=True),
        sa.Column('meta_token_sealed', sa.Text(), nullable=True),
        sa.Column('tiktok_token_sealed', sa.Text(), nullable=True),
        sa.Column('updated_at', WHEN, nullable=False),
        sa.UniqueConstraint('label_id', 'artist_id', name='uq_ad_pixels_owner'),
    )
    op.create_table(
        'cookie_choice',
        sa.Column('id', sa.Integer(), primary_key=True),
        _owner('label_id', 'label'),
        _owner('artist_id', 'artist'),
        sa.Column('visitor_hash', sa.String(64), nullable=False),
        sa.Column('choice', sa.String(10), nullable=False),
        sa.Column('wording', sa.Text(), nullable=False),
        sa.Column('language', sa.String(10), nullable=True),
        sa.Column('created_at', WHEN, nullable=False),
    )
    op.create_table(
        'conversion_event',
        sa.Column('id', sa.Integer(), primary_key=True),
        _owner('label_id', 'label'),
        _owner('artist_id', 'artist'),
        sa.Column('presave_id', sa.Integer(), sa.ForeignKey('presave.id', ondelete='SET NULL'),
                  nullable=True, index=True),
        sa.Column('service', sa.String(10), nullable=False),
        sa.Column('event_id', sa.String(40), nullable=False),
        sa.Column('event_name', sa.String(20), nullable=False),
        sa.Column('event_time', WHEN, nullable=False),
        sa.Column('source_url', sa.String(500), nullable=False),
        sa.Column('user_agent', sa.String(400), nullable=True),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', WHEN, nullable=True),
        sa.Column('leased_until', WHEN, nullable=True),
        sa.Column('lease_token', sa.String(32), nullable=True),
        sa.Column('sent_fields', sa.String(60), nullable=True),
        sa.Column('last_error', sa.String(300), nullable=True),
        sa.Column('answer', sa.String(300), nullable=True),
        sa.Column('sent_at', WHEN, nullable=True),
        sa.Column('created_at', WHEN, nullable=False),
        sa.Column('updated_at', WHEN, nullable=False),
        sa.Index('ix_conversion_event_due', 'state', 'next_attempt_at'),
    )


def downgrade():
    op.drop_table('conversion_event')
    op.drop_table('cookie_choice')
    op.drop_table('ad_pixels')
