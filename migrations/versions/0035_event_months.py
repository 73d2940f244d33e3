"""events by month: on PostgreSQL the event table is partitioned by range of occurred_at,
one partition per UTC month and a default one, so old months can be dropped whole
(app.analytics.event_months); the primary key and the stream id's uniqueness include
occurred_at there, as partitioning requires (SQLite's stream id key takes it too). SQLite
keeps one table.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07 05:20:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None

AHEAD = 3  # months made ahead of the current one (as the cron does)
COLUMNS = """
    id integer NOT NULL DEFAULT nextval('event_id_seq'::regclass),
    release_id integer CONSTRAINT event_release_id_fkey REFERENCES release(id) ON DELETE CASCADE,
    kind varchar(32) NOT NULL,
    platform varchar(32),
    occurred_at timestamp with time zone NOT NULL,
    visitor_hash varchar(64),
    city varchar(120),
    region varchar(120),
    country varchar(2),
    latitude double precision,
    longitude double precision,
    timezone varchar(64),
    referrer varchar(255),
    utm_source varchar(120),
    utm_medium varchar(120),
    utm_campaign varchar(120),
    device_class varchar(20),
    in_app_browser boolean NOT NULL,
    artist_id integer NOT NULL CONSTRAINT event_artist_id_fkey REFERENCES artist(id) ON DELETE CASCADE,
    label_id integer NOT NULL CONSTRAINT event_label_id_fkey REFERENCES label(id) ON DELETE CASCADE,
    stream_id varchar(40),
    variant varchar(1),
    link_id integer CONSTRAINT fk_event_link_id REFERENCES short_link(id) ON DELETE SET NULL
"""
NAMES = ("id, release_id, kind, platform, occurred_at, visitor_hash, city, region, country, "
         "latitude, longitude, timezone, referrer, utm_source, utm_medium, utm_campaign, "
         "device_class, in_app_browser, artist_id, label_id, stream_id, variant, link_id")
# Counted rows are updated in place (a HOT update, no index touched) when their page has room.
ROLLUPS = ("event_daily", "event_daily_platform", "event_daily_place", "event_daily_source",
           "event_total_place", "event_total_source", "event_total_platform_country")
INDEXES = ("CREATE INDEX ix_event_artist_id ON event (artist_id)",
           "CREATE INDEX ix_event_label_id ON event (label_id)",
           "CREATE INDEX ix_event_link_kind ON event (link_id, kind)",
           "CREATE INDEX ix_event_release_kind_time ON event (release_id, kind, occurred_at)")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        _stream_key("stream_id", "occurred_at")
        return
    _set_aside()
    op.execute(f"CREATE TABLE event ({COLUMNS}, "
               "CONSTRAINT event_pkey PRIMARY KEY (id, occurred_at), "
               "CONSTRAINT uq_event_stream_id UNIQUE (stream_id, occurred_at)) "
               "PARTITION BY RANGE (occurred_at)")
    for statement in INDEXES:
        op.execute(statement)
    op.execute("CREATE TABLE event_default PARTITION OF event DEFAULT")
    first = op.get_bind().scalar(sa.text("SELECT min(occurred_at) FROM event_old"))
    now = datetime.now(timezone.utc)
    for start, end in _months(first or now, now):
        op.execute(f"CREATE TABLE event_p{start:%Y_%m} PARTITION OF event FOR VALUES "
                   f"FROM ('{start.isoformat()}') TO ('{end.isoformat()}')")
    _move_back()
    for table in ROLLUPS:
        op.execute(f"ALTER TABLE {table} SET (fillfactor = 70)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        _stream_key("stream_id")
        return
    for table in ROLLUPS:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
    _set_aside()
    op.execute(f"CREATE TABLE event ({COLUMNS}, CONSTRAINT event_pkey PRIMARY KEY (id), "
               "CONSTRAINT uq_event_stream_id UNIQUE (stream_id))")
    for statement in INDEXES:
        op.execute(statement)
    _move_back()


def _stream_key(*columns):
    """SQLite: the stream id's uniqueness as on PostgreSQL (the model says so on both)."""
    with op.batch_alter_table("event") as batch_op:
        batch_op.drop_constraint("uq_event_stream_id", type_="unique")
        batch_op.create_unique_constraint("uq_event_stream_id", list(columns))


def _set_aside():
    """Rename the table (its names freed for the new one), keeping its id sequence."""
    op.execute("ALTER SEQUENCE event_id_seq OWNED BY NONE")
    op.execute("ALTER TABLE event RENAME TO event_old")
    op.execute("ALTER TABLE event_old DROP CONSTRAINT event_pkey CASCADE")
    op.execute("ALTER TABLE event_old DROP CONSTRAINT uq_event_stream_id")
    for statement in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {statement.split()[2]}")


def _move_back():
    op.execute(f"INSERT INTO event ({NAMES}) SELECT {NAMES} FROM event_old")
    op.execute("DROP TABLE event_old CASCADE")
    op.execute("ALTER SEQUENCE event_id_seq OWNED BY event.id")


def _months(first, now):
    """(start, end) of each UTC month from ``first``'s to AHEAD months after ``now``'s."""
    year, month = first.year, first.month
    last = now.year * 12 + now.month - 1 + AHEAD
    while year * 12 + month - 1 <= last:
        start = datetime(year, month, 1, tzinfo=timezone.utc)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        yield start, datetime(year, month, 1, tzinfo=timezone.utc)
