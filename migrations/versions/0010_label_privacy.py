"""the label's privacy identity: the controller named on its fan pages, the contact for the
fans' requests, and its own privacy notice and terms (blank: the built-in notice)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 01:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

COLUMNS = (("privacy_controller", 200), ("privacy_contact", 254), ("privacy_url", 500),
           ("terms_url", 500))


def upgrade():
    with op.batch_alter_table('label') as batch:
        for name, length in COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length), nullable=True))


def downgrade():
    with op.batch_alter_table('label') as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
