"""Unbound extensions; create_app() binds them. One AppBuilder per app, made there."""
import sqlite3

from flask import current_app
from flask_appbuilder.utils.legacy import get_sqla_class
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from rq import Queue
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app import redis_ha

db = get_sqla_class()()


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, connection_record):
    """SQLite ignores foreign keys (and their ON DELETE) unless told per connection."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


migrate = Migrate(render_as_batch=True, compare_type=True)
limiter = Limiter(key_func=get_remote_address, default_limits=[])
compress = Compress()


def redis_connection():
    conn = current_app.extensions.get("presave_redis")
    if conn is None:
        conn = current_app.extensions["presave_redis"] = redis_ha.connect(current_app.config)
    return conn


def queue(name="default"):
    return Queue(name, connection=redis_connection())
