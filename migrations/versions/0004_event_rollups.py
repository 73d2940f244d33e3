"""event rollups: daily counts per release, UTC day and kind, by platform, place and source

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 15:22:31.561426

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('event_daily',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('artist_id', sa.Integer(), nullable=False),
    sa.Column('label_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['artist_id'], ['artist.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['label_id'], ['label.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['release_id'], ['release.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('release_id', 'day', 'kind')
    )
    with op.batch_alter_table('event_daily', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_daily_artist_id'), ['artist_id'], unique=False)
        batch_op.create_index('ix_event_daily_artist_kind_day', ['artist_id', 'kind', 'day'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_daily_label_id'), ['label_id'], unique=False)

    op.create_table('event_daily_place',
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('region', sa.String(length=120), nullable=False),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('artist_id', sa.Integer(), nullable=False),
    sa.Column('label_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['artist_id'], ['artist.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['label_id'], ['label.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['release_id'], ['release.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('release_id', 'day', 'kind', 'country', 'region', 'city')
    )
    with op.batch_alter_table('event_daily_place', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_daily_place_artist_id'), ['artist_id'], unique=False)
        batch_op.create_index('ix_event_daily_place_artist_kind', ['artist_id', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_daily_place_label_id'), ['label_id'], unique=False)

    op.create_table('event_daily_platform',
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('artist_id', sa.Integer(), nullable=False),
    sa.Column('label_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['artist_id'], ['artist.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['label_id'], ['label.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['release_id'], ['release.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('release_id', 'day', 'kind', 'platform')
    )
    with op.batch_alter_table('event_daily_platform', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_daily_platform_artist_id'), ['artist_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_daily_platform_label_id'), ['label_id'], unique=False)

    op.create_table('event_daily_source',
    sa.Column('referrer', sa.String(length=255), nullable=False),
    sa.Column('utm_source', sa.String(length=120), nullable=False),
    sa.Column('utm_medium', sa.String(length=120), nullable=False),
    sa.Column('utm_campaign', sa.String(length=120), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('artist_id', sa.Integer(), nullable=False),
    sa.Column('label_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['artist_id'], ['artist.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['label_id'], ['label.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['release_id'], ['release.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('release_id', 'day', 'kind', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign')
    )
    with op.batch_alter_table('event_daily_source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_daily_source_artist_id'), ['artist_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_daily_source_label_id'), ['label_id'], unique=False)


def downgrade():
    with op.batch_alter_table('event_daily_source', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_daily_source_label_id'))
        batch_op.drop_index(batch_op.f('ix_event_daily_source_artist_id'))

    op.drop_table('event_daily_source')
    with op.batch_alter_table('event_daily_platform', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_daily_platform_label_id'))
        batch_op.drop_index(batch_op.f('ix_event_daily_platform_artist_id'))

    op.drop_table('event_daily_platform')
    with op.batch_alter_table('event_daily_place', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_daily_place_label_id'))
        batch_op.drop_index('ix_event_daily_place_artist_kind')
        batch_op.drop_index(batch_op.f('ix_event_daily_place_artist_id'))

    op.drop_table('event_daily_place')
    with op.batch_alter_table('event_daily', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_daily_label_id'))
        batch_op.drop_index('ix_event_daily_artist_kind_day')
        batch_op.drop_index(batch_op.f('ix_event_daily_artist_id'))

    op.drop_table('event_daily')
