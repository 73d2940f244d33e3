"""Helpers for the fixtures: a private Redis database and a fresh schema."""
import uuid
from contextlib import contextmanager

import redis
from flask_migrate import upgrade
from sqlalchemy import inspect, make_url, text

from app.extensions import db

CLAIM_TTL = 4 * 3600


def claim_redis_db(url, instance_dir):
    """A Redis URL for this run alone, and a function that releases it."""
    if not url:
        from app.embedded.redis_server import embedded_redis_url, stop

        return embedded_redis_url(instance_dir), lambda: stop(instance_dir)
    return claim_database_number(url, range(1, 16))


def claim_database_number(url, numbers, owner="tests"):
    """Claim the first free database number of the Redis at ``url`` (tests and benchmarks
    share the claims, so they never see each other's keys); (claimed url, release)."""
    base = redis.Redis.from_url(url)
    server = url.rsplit("/", 1)[0] if url.count("/") > 2 else url
    for number in numbers:
        key = f"presave-test-claim:{number}"
        if base.set(key, owner, nx=True, ex=CLAIM_TTL):
            conn = redis.Redis.from_url(f"{server}/{number}")
            conn.flushdb()

            def release():
                conn.flushdb()
                base.delete(key)
            return f"{server}/{number}", release
    raise RuntimeError("no free Redis database number")


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


@contextmanager
def fresh_database(app, tmp_path):
    """The URI of an empty database of the suite's kind: a file for SQLite, a schema of
    its own for PostgreSQL (dropped afterwards)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"fresh_{uuid.uuid4().hex[:8]}"
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {name}"))
    try:
        yield url.update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(
            hide_password=False)
    finally:
        with app.app_context(), db.engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {name} CASCADE"))
