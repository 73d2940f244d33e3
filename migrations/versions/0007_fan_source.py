"""fan source: the referring site and UTM tags of the visit that signed a fan up

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 15:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('fan_source',
    sa.Column('fan_id', sa.Integer(), nullable=False),
    sa.Column('referrer', sa.String(length=255), nullable=True),
    sa.Column('utm_source', sa.String(length=120), nullable=True),
    sa.Column('utm_medium', sa.String(length=120), nullable=True),
    sa.Column('utm_campaign', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('artist_id', sa.Integer(), nullable=False),
    sa.Column('label_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['artist_id'], ['artist.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['fan_id'], ['fan.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['label_id'], ['label.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('fan_id')
    )
    with op.batch_alter_table('fan_source', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fan_source_artist_id'), ['artist_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fan_source_label_id'), ['label_id'], unique=False)


def downgrade():
    with op.batch_alter_table('fan_source', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fan_source_label_id'))
        batch_op.drop_index(batch_op.f('ix_fan_source_artist_id'))

    op.drop_table('fan_source')
