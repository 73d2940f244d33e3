"""Short links of releases (/r/<code>) with their UTM tags; the short link an event came
through

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 18:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'short_link',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('label_id', sa.Integer(), sa.ForeignKey('label.id', ondelete='CASCADE'),
                  nullable=False, index=True),
        sa.Column('artist_id', sa.Integer(), sa.ForeignKey('artist.id', ondelete='CASCADE'),
                  nullable=False, index=True),
        sa.Column('release_id', sa.Integer(), sa.ForeignKey('release.id', ondelete='CASCADE'),
                  nullable=False, index=True),
        sa.Column('code', sa.String(16), nullable=False),
        sa.Column('name', sa.String(80), nullable=False),
        sa.Column('main', sa.Boolean(), nullable=False),
        sa.Column('preset', sa.String(20), nullable=True),
        sa.Column('utm_source', sa.String(120), nullable=True),
        sa.Column('utm_medium', sa.String(120), nullable=True),
        sa.Column('utm_campaign', sa.String(120), nullable=True),
        sa.Column('utm_content', sa.String(120), nullable=True),
        sa.Column('created_by', sa.String(120), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('code', name='uq_short_link_code'),
    )
    with op.batch_alter_table('event') as batch:
        batch.add_column(sa.Column('link_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_event_link_id', 'short_link', ['link_id'], ['id'],
                                 ondelete='SET NULL')
        batch.create_index('ix_event_link_kind', ['link_id', 'kind'])


def downgrade():
    with op.batch_alter_table('event') as batch:
        batch.drop_index('ix_event_link_kind')
        batch.drop_constraint('fk_event_link_id', type_='foreignkey')
        batch.drop_column('link_id')
    op.drop_table('short_link')
