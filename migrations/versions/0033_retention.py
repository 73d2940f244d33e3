"""Data retention: a label's limits for each kind of personal data (no row: the defaults)

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def _limit(name):
    return sa.Column(name, sa.Integer(), nullable=False)


def upgrade():
    op.create_table(
        'retention_policy',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('label_id', sa.Integer(), sa.ForeignKey('label.id', ondelete='CASCADE'),
                  nullable=False, index=True),
        _limit('unfinished_fan_days'),
        _limit('withdrawn_fan_days'),
        _limit('ledger_months'),
        _limit('outbound_days'),
        _limit('cookie_choice_days'),
        _limit('audit_days'),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('label_id', name='uq_retention_policy_label'),
    )


def downgrade():
    op.drop_table('retention_policy')
