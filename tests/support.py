"""Helpers for the fixtures: a private Redis database and a fresh schema."""
import redis
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from app.extensions import db

CLAIM_TTL = 4 * 3600


def claim_redis_db(url, instance_dir):
    """A Redis URL for this run alone, and a function that releases it."""
    if not url:
        from app.embedded_redis import embedded_redis_url

        return embedded_redis_url(instance_dir), lambda: None
    base = redis.Redis.from_url(url)
    for number in range(1, 16):
        key = f"presave-test-claim:{number}"
        if base.set(key, "1", nx=True, ex=CLAIM_TTL):
            claimed = url.rsplit("/", 1)[0] + f"/{number}" if url.count("/") > 2 else f"{url}/{number}"
            conn = redis.Redis.from_url(claimed)
            conn.flushdb()

            def release():
                conn.flushdb()
                base.delete(key)
            return claimed, release
    raise RuntimeError("no free Redis database number for this test run")


def reset_database(app):
    """Drop whatever the database holds and migrate it to the current schema."""
    engine = db.engine
    with engine.begin() as conn:
        tables = inspect(conn).get_table_names()
        if engine.dialect.name == "postgresql":
            for table in tables:
                conn.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))
        else:
            conn.execute(text("PRAGMA foreign_keys=OFF"))
            for table in tables:
                conn.execute(text(f'DROP TABLE IF EXISTS "{table}"'))
    upgrade()
