"""event totals: all-time counts per release and kind, by place and by source

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 16:15:23.736642

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('event_total_place',
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('artist_id', sa.Integer(), nullable=False),
    sa.Column('label_id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('region', sa.String(length=120), nullable=False),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['artist_id'], ['artist.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['label_id'], ['label.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['release_id'], ['release.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('release_id', 'kind', 'country', 'region', 'city')
    )
    with op.batch_alter_table('event_total_place', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_total_place_artist_id'), ['artist_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_total_place_label_id'), ['label_id'], unique=False)
        batch_op.create_index('ix_event_total_place_label_kind', ['label_id', 'kind'], unique=False)

    op.create_table('event_total_source',
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('artist_id', sa.Integer(), nullable=False),
    sa.Column('label_id', sa.Integer(), nullable=False),
    sa.Column('referrer', sa.String(length=255), nullable=False),
    sa.Column('utm_source', sa.String(length=120), nullable=False),
    sa.Column('utm_medium', sa.String(length=120), nullable=False),
    sa.Column('utm_campaign', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['artist_id'], ['artist.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['label_id'], ['label.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['release_id'], ['release.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('release_id', 'kind', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign')
    )
    with op.batch_alter_table('event_total_source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_total_source_artist_id'), ['artist_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_total_source_label_id'), ['label_id'], unique=False)


def downgrade():
    with op.batch_alter_table('event_total_source', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_total_source_label_id'))
        batch_op.drop_index(batch_op.f('ix_event_total_source_artist_id'))

    op.drop_table('event_total_source')
    with op.batch_alter_table('event_total_place', schema=None) as batch_op:
        batch_op.drop_index('ix_event_total_place_label_kind')
        batch_op.drop_index(batch_op.f('ix_event_total_place_label_id'))
        batch_op.drop_index(batch_op.f('ix_event_total_place_artist_id'))

    op.drop_table('event_total_place')
