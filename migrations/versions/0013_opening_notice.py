"""opening notices: fans who asked on a Coming Soon page to hear when the pre-save opens

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'opening_notice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('release_id', sa.Integer(), nullable=False),
        sa.Column('fan_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('artist_id', sa.Integer(), nullable=False),
        sa.Column('label_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['artist_id'], ['artist.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['fan_id'], ['fan.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['label_id'], ['label.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['release_id'], ['release.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('release_id', 'fan_id', name='uq_opening_notice_release_fan'),
    )
    with op.batch_alter_table('opening_notice') as batch:
        batch.create_index('ix_opening_notice_due', ['state', 'next_attempt_at'])
        batch.create_index(batch.f('ix_opening_notice_release_id'), ['release_id'])
        batch.create_index(batch.f('ix_opening_notice_fan_id'), ['fan_id'])
        batch.create_index(batch.f('ix_opening_notice_artist_id'), ['artist_id'])
        batch.create_index(batch.f('ix_opening_notice_label_id'), ['label_id'])


def downgrade():
    op.drop_table('opening_notice')
