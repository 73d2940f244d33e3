"""custom domains: hostnames a label's fan pages are served on, with the token that proves
each is the label's and where its checks stand; one active domain per label

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 01:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'custom_domain',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('label_id', sa.Integer(), sa.ForeignKey('label.id', ondelete='CASCADE'),
                  nullable=False, index=True),
        sa.Column('hostname', sa.String(253), nullable=False),
        sa.Column('token', sa.String(64), nullable=False),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('verified_by', sa.String(8), nullable=True),
        sa.Column('verified_at', WHEN, nullable=True),
        sa.Column('checked_at', WHEN, nullable=True),
        sa.Column('failing_since', WHEN, nullable=True),
        sa.Column('last_error', sa.String(300), nullable=True),
        sa.Column('created_by', sa.String(120), nullable=True),
        sa.Column('created_at', WHEN, nullable=False),
        sa.UniqueConstraint('hostname', name='uq_custom_domain_hostname'),
        sa.Index('ix_custom_domain_state', 'state'),
    )
    op.create_index('uq_custom_domain_one_active', 'custom_domain', ['label_id'], unique=True,
                    postgresql_where=sa.text("state = 'active'"),
                    sqlite_where=sa.text("state = 'active'"))


def downgrade():
    op.drop_table('custom_domain')
