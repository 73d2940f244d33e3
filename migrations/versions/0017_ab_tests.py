"""A/B tests of fan pages: a release's tests (state, auto-stop rule, winner) and their
variants (artwork, headline, description, weight); variant A is the release as it is

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def _owned():
    return [sa.Column('label_id', sa.Integer(), sa.ForeignKey('label.id', ondelete='CASCADE'),
                      nullable=False, index=True),
            sa.Column('artist_id', sa.Integer(), sa.ForeignKey('artist.id', ondelete='CASCADE'),
                      nullable=False, index=True)]


def upgrade():
    op.create_table(
        'ab_test',
        sa.Column('id', sa.Integer(), primary_key=True),
        *_owned(),
        sa.Column('release_id', sa.Integer(), sa.ForeignKey('release.id', ondelete='CASCADE'),
                  nullable=False, index=True),
        sa.Column('state', sa.String(20), nullable=False),
        sa.Column('auto_stop', sa.Boolean(), nullable=False),
        sa.Column('min_presaves', sa.Integer(), nullable=False),
        sa.Column('winner', sa.String(1), nullable=True),
        sa.Column('started_at', WHEN, nullable=True),
        sa.Column('stopped_at', WHEN, nullable=True),
        sa.Column('created_at', WHEN, nullable=False),
    )
    op.create_table(
        'ab_variant',
        sa.Column('id', sa.Integer(), primary_key=True),
        *_owned(),
        sa.Column('test_id', sa.Integer(), sa.ForeignKey('ab_test.id', ondelete='CASCADE'),
                  nullable=False, index=True),
        sa.Column('key', sa.String(1), nullable=False),
        sa.Column('name', sa.String(80), nullable=False),
        sa.Column('artwork', sa.String(80), nullable=True),
        sa.Column('headline', sa.String(120), nullable=True),
        sa.Column('description', sa.String(600), nullable=True),
        sa.Column('weight', sa.Integer(), nullable=False),
        sa.UniqueConstraint('test_id', 'key', name='uq_ab_variant_test_key'),
    )


def downgrade():
    op.drop_table('ab_variant')
    op.drop_table('ab_test')
