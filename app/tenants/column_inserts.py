"""Many rows in one INSERT on PostgreSQL: the rows go as one JSON parameter, ``rows``, and
json_to_recordset() turns them back into rows of the table's column types. The database
plans one statement for thousands of rows, where executemany runs a statement per row, and
one JSON text costs the driver far less than a parameter per value.

The tenant guard (app.tenants.scoping) reads the rows from the same parameter, so these
inserts are checked like any other ORM insert.
"""
import json
from datetime import date, datetime

from sqlalchemy import Text, TypeDecorator, bindparam, cast, column, func, select
from sqlalchemy.dialects.postgresql import JSON, insert

from app.tenants.context import TenantScopeError

PARAMETER = "rows"


class _Rows(TypeDecorator):
    """A list of row dicts sent as one JSON text (dates and instants as ISO 8601)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return json.dumps(value, default=_iso, separators=(",", ":"))


def insert_rows(model, names):
    """PostgreSQL's insert(model) of the columns ``names``, executed with ``rows(...)`` as its
    parameters (an ON CONFLICT clause may follow)."""
    table = model.__table__
    records = (func.json_to_recordset(cast(bindparam(PARAMETER, type_=_Rows), JSON))
               .table_valued(*(column(name, table.c[name].type) for name in names))
               .render_derived(with_types=True))
    # "raw": the parameter is the JSON of the rows, not rows for an ORM bulk insert.
    return (insert(model).from_select([table.c[name] for name in names],
                                      select(*(records.c[name] for name in names)))
            .execution_options(dml_strategy="raw"))


def rows(values):
    """The parameters of ``insert_rows``: the rows, dicts by column."""
    return {PARAMETER: values}


def rows_of(parameters):
    """The rows an INSERT ... SELECT writes, for the guard: only this module's form is read
    as rows; any other INSERT ... SELECT is refused (what it writes cannot be seen here)."""
    if isinstance(parameters, dict) and set(parameters) == {PARAMETER}:
        given = parameters[PARAMETER]
        if isinstance(given, list) and all(isinstance(row, dict) for row in given):
            return given
    raise TenantScopeError("an INSERT from a SELECT is checked only as rows given as JSON")


def _iso(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be sent as JSON")
