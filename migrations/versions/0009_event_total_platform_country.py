"""event totals by platform and country: what orders the Stream Now buttons, counted as events
are stored instead of from the raw events; filled from the events already stored

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# The rollup's keying (app/analytics/rollups.py), in SQL: trimmed, cut to the column, "" for none.
FILL = """
INSERT INTO event_total_platform_country
    (release_id, kind, platform, country, count, artist_id, label_id)
SELECT release_id, kind, platform, country, count(*), min(artist_id), min(label_id)
FROM (SELECT release_id, kind, artist_id, label_id,
             substr(coalesce(trim(platform), ''), 1, 32) AS platform,
             upper(substr(coalesce(trim(country), ''), 1, 2)) AS country
      FROM event WHERE release_id IS NOT NULL) AS keyed
GROUP BY release_id, kind, platform, country
"""


def upgrade():
    op.create_table('event_total_platform_country',
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('artist_id', sa.Integer(), nullable=False),
    sa.Column('label_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.ForeignKeyConstraint(['artist_id'], ['artist.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['label_id'], ['label.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['release_id'], ['release.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('release_id', 'kind', 'platform', 'country')
    )
    with op.batch_alter_table('event_total_platform_country', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_total_platform_country_artist_id'), ['artist_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_total_platform_country_label_id'), ['label_id'], unique=False)
    op.execute(FILL)


def downgrade():
    with op.batch_alter_table('event_total_platform_country', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_total_platform_country_label_id'))
        batch_op.drop_index(batch_op.f('ix_event_total_platform_country_artist_id'))

    op.drop_table('event_total_platform_country')
