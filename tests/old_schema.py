"""Rows written into a database migrated only part-way, for the tests of a data migration."""
from sqlalchemy import MetaData, Table, insert, inspect

from app.extensions import db


def as_of_this_revision(row, **then):
    """Insert ``row`` (a model instance, not added to the session) with only the columns the
    database's schema has: the models are newer than the revision the test migrates from.
    Unset columns take the model's defaults, where the schema has the column; ``then``: values
    of columns the models no longer have."""
    present = {column["name"] for column in inspect(db.engine).get_columns(row.__table__.name)}
    values = {}
    for column in row.__table__.c:
        if column.name not in present:
            continue
        value = getattr(row, column.key)
        if value is None and column.default is not None:
            value = column.default.arg(None) if callable(column.default.arg) else column.default.arg
        if value is not None:
            values[column.name] = value
    values.update(then)
    table = Table(row.__table__.name, MetaData(), autoload_with=db.engine)
    return db.session.execute(insert(table).values(values).returning(table.c.id)).scalar_one()
