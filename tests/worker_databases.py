"""The database of one pytest-xdist worker, chosen before the app's settings are read: this
module imports nothing of app/ (config reads DATABASE_URL when first imported)."""
import psycopg
from sqlalchemy import make_url


def worker_database(url, worker):
    """The database URL of one xdist worker: on PostgreSQL a schema of its own (made here),
    named after the URL's search_path; on SQLite a file of its own beside the one named."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        database = parsed.database or ""
        stem, dot, ext = database.rpartition(".") if "." in database else (database, "", "")
        return parsed.set(database=f"{stem}-{worker}{dot}{ext}").render_as_string(
            hide_password=False) if database else url
    options = parsed.query.get("options", "")
    schema = options.partition("search_path=")[2] or "public"
    mine = f"{schema}_{worker}"
    with psycopg.connect(parsed.set(drivername="postgresql", query={}).render_as_string(
            hide_password=False), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {mine}")
    return parsed.update_query_dict({"options": f"-csearch_path={mine}"}).render_as_string(
        hide_password=False)
