"""Row-level tenant isolation, installed once on every ORM session.

Reads: every ORM SELECT/UPDATE/DELETE gets loader criteria for the current
scope. Reading tenant rows with no scope raises (fail closed). The one escape
hatch is ``execution_options(all_tenants=True)``.

Writes: new and changed rows are stamped with the scope's label and checked:
a row may not point at another label's rows, nor be moved to another label.
ORM INSERT statements (bulk inserts) are checked the same way, row by row.
"""
import functools
import re

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, with_loader_criteria
from sqlalchemy.sql.elements import BindParameter

from app.models import Artist, ArtistOwned, Label, LabelOwned, PresaveUser
from app.tenants import column_inserts
from app.tenants.context import TenantScopeError, current_scope


def install():
    if not event.contains(Session, "do_orm_execute", _scope_statement):
        event.listen(Session, "do_orm_execute", _scope_statement)
        event.listen(Session, "before_flush", _guard_writes)


def _scope_statement(state):
    if state.is_column_load or state.is_relationship_load:
        return
    if state.is_insert and not state.execution_options.get("all_tenants"):
        _guard_insert(state)
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get("all_tenants"):
        return
    scope = current_scope()
    if scope is None:
        if any(issubclass(m.class_, (LabelOwned, Label)) for m in state.all_mappers):
            raise TenantScopeError("tenant data queried without a tenant scope")
        return
    if scope.everything:
        return
    state.statement = state.statement.options(*_criteria(scope))
    if state.is_update:
        _guard_rows(state, scope, "updated", new=False)


def _criteria(scope):
    label_id, artist_id = scope.label_id, scope.artist_id
    options = [
        with_loader_criteria(LabelOwned, lambda cls: cls.label_id == label_id, include_aliases=True),
        # On FAB's base User, not PresaveUser: FAB's own relationships (created_by,
        # changed_by and their filter dropdowns) query the base class, which a
        # criterion on the subclass does not reach.
        with_loader_criteria(User, lambda cls: PresaveUser.label_id == label_id,
                             include_aliases=True),
        with_loader_criteria(Label, lambda cls: cls.id == label_id, include_aliases=True),
    ]
    if artist_id is not None:
        options += [
            with_loader_criteria(ArtistOwned, lambda cls: cls.artist_id == artist_id,
                                 include_aliases=True),
            with_loader_criteria(Artist, lambda cls: cls.id == artist_id, include_aliases=True),
        ]
    return options


def _guard_writes(session, flush_context, instances):
    scope = current_scope()
    with session.no_autoflush:
        for obj in list(session.new):
            if isinstance(obj, (LabelOwned, PresaveUser)):
                _check(session, obj, scope, is_new=True)
        for obj in list(session.dirty):
            if isinstance(obj, (LabelOwned, PresaveUser)) and session.is_modified(obj):
                _check(session, obj, scope, is_new=False)
        for obj in list(session.deleted):
            if isinstance(obj, LabelOwned):
                _require_in_scope(obj.label_id, scope, obj)


def _check(session, obj, scope, is_new):
    if scope is None:
        if isinstance(obj, PresaveUser):
            return  # login bookkeeping (last_login, counters) runs before any scope
        raise TenantScopeError(f"{type(obj).__name__} written without a tenant scope")
    if obj.label_id is None:
        _stamp(session, obj, _owner_label(session, obj) or scope.label_id)
        if obj.label_id is None and isinstance(obj, LabelOwned):
            raise TenantScopeError(f"{type(obj).__name__} needs a label")
    elif not is_new and _changed(obj, "label_id") and not scope.everything:
        raise TenantScopeError("a row cannot move to another label")
    if obj.label_id is not None:
        _require_in_scope(obj.label_id, scope, obj)
    for target in _referenced(session, obj, is_new):
        if target.label_id != obj.label_id:
            raise TenantScopeError(
                f"{type(obj).__name__} cannot refer to another label's {type(target).__name__}")
    if scope.artist_id is not None:
        own = obj.id if isinstance(obj, Artist) else getattr(obj, "artist_id", scope.artist_id)
        if own is not None and own != scope.artist_id:
            raise TenantScopeError("an artist account may only change its own artist")


def _stamp(session, obj, label_id):
    obj.label_id = label_id
    if label_id is not None and "label" in inspect(obj).mapper.relationships:
        # A form may have set the relationship to None; it would win over the column.
        obj.label = session.get(Label, label_id, execution_options={"all_tenants": True})


def _require_in_scope(label_id, scope, obj):
    if scope is None:
        raise TenantScopeError(f"{type(obj).__name__} written without a tenant scope")
    if not scope.everything and label_id != scope.label_id:
        raise TenantScopeError(f"{type(obj).__name__} belongs to another label")


def _owner_label(session, obj):
    """An artist-owned row takes its label from its artist."""
    if not isinstance(obj, ArtistOwned):
        return None
    artist = obj.__dict__.get("artist")
    if artist is not None:
        return artist.label_id
    if obj.artist_id is None:
        return None
    stmt = select(Artist.label_id).where(Artist.id == obj.artist_id)
    return session.execute(stmt, execution_options={"all_tenants": True}).scalar()


def _changed(obj, attr):
    return inspect(obj).attrs[attr].history.has_changes()


def _referenced(session, obj, is_new):
    """Tenant rows this row points at (many-to-one), where the pointer is new."""
    mapper = inspect(obj).mapper
    covered = set()
    for rel in mapper.relationships:
        if rel.direction.name != "MANYTOONE" or not issubclass(rel.mapper.class_, LabelOwned):
            continue
        keys = [mapper.get_property_by_column(col).key for col in rel.local_columns]
        covered.update(keys)
        if not is_new and not any(_changed(obj, key) for key in keys + [rel.key]):
            continue
        target = obj.__dict__.get(rel.key)
        if target is None and len(keys) == 1 and getattr(obj, keys[0]) is not None:
            # A pointer set by id (API bodies): load the target whatever its label.
            target = _load_target(session, rel.mapper.class_, getattr(obj, keys[0]))
        if target is not None:
            yield target
    # Foreign keys with no relationship (Event.release_id, Consent.artist_id, ...).
    for key, target_class in _tenant_foreign_keys(mapper):
        if key in covered or (not is_new and not _changed(obj, key)):
            continue
        if getattr(obj, key) is not None:
            yield _load_target(session, target_class, getattr(obj, key))


def _load_target(session, model, pk):
    target = session.get(model, pk, execution_options={"all_tenants": True})
    if target is None:
        raise TenantScopeError(f"{model.__name__} not found")
    return target


@functools.cache
def _tenant_foreign_keys(mapper):
    """(attribute key, tenant class) for each single-column foreign key to a tenant table."""
    tables = {m.local_table: m.class_ for m in mapper.registry.mappers
              if issubclass(m.class_, LabelOwned)}
    return tuple((prop.key, tables[fk.column.table])
                 for prop in mapper.column_attrs for column in prop.columns
                 for fk in getattr(column, "foreign_keys", ()) if fk.column.table in tables)


@functools.cache
def _guarded_keys(mapper):
    """The columns whose values _guard_rows checks."""
    return frozenset({"label_id", "artist_id"} | {key for key, _ in _tenant_foreign_keys(mapper)})


_MULTI_VALUE = re.compile(r"^(?P<key>.+)_m(?P<row>\d+)$")


def _guard_insert(state):
    """An ORM INSERT statement (bulk insert) follows the rules of a flush, row by row."""
    mapper = state.bind_arguments.get("mapper")
    if mapper is None or not issubclass(mapper.class_, (LabelOwned, PresaveUser)):
        return
    scope = current_scope()
    if scope is None:
        raise TenantScopeError(f"{mapper.class_.__name__} inserted without a tenant scope")
    if not scope.everything:
        _guard_rows(state, scope, "inserted", new=True)


def _guard_rows(state, scope, verb, new):
    """The values an INSERT or UPDATE statement writes stay in the scope's label (and artist)."""
    mapper = state.bind_arguments.get("mapper")
    if mapper is None or not issubclass(mapper.class_, (LabelOwned, PresaveUser)):
        return
    name = mapper.class_.__name__
    for row in _statement_rows(state, mapper):
        if (new or "label_id" in row) and row.get("label_id") != scope.label_id:
            raise TenantScopeError(f"{name} {verb} without its label or into another label")
        if scope.artist_id is not None and row.get("artist_id", scope.artist_id) != scope.artist_id:
            raise TenantScopeError("an artist account may only change its own artist")
        for key, target_class in _tenant_foreign_keys(mapper):
            if row.get(key) is not None:
                target = _load_target(state.session, target_class, row[key])
                if target.label_id != scope.label_id:
                    raise TenantScopeError(
                        f"{name} cannot refer to another label's {target_class.__name__}")


def _statement_rows(state, mapper):
    """The rows an INSERT/UPDATE writes: executemany parameters over its own values()."""
    given = state.parameters
    rows = [dict(r) for r in given] if isinstance(given, (list, tuple)) else [dict(given or {})]
    stmt = state.statement
    if getattr(stmt, "select", None) is not None:  # INSERT ... SELECT
        return column_inserts.rows_of(given)
    values = getattr(stmt, "_values", None)
    if not (values or getattr(stmt, "_multi_values", None)):
        return rows  # an ORM bulk insert or update: the parameters are the rows
    if not values:
        return _compiled_rows(stmt, rows)  # multi-row VALUES
    plain = _plain_values(values, _guarded_keys(mapper))
    # A bind's value can be given at execution under its name (bindparam("x"), {"x": ...}).
    return [{key: value for key, bind in plain.items()
             if (value := row.get(bind.key, bind.value)) is not None} | row for row in rows]


def _plain_values(values, guarded):
    """{column: bind} for the guarded columns values() sets, read without compiling (it
    would cost more than the statement). A guarded column set to an SQL expression
    (a subquery, a function) could write any label's id: refused."""
    plain = {}
    for column, value in values.items():
        key = getattr(column, "key", column)
        if key not in guarded:
            continue  # never checked: its value does not matter here
        if not isinstance(value, BindParameter) or value.callable is not None:
            raise TenantScopeError(f"{key} may only be set to a plain value here")
        plain[key] = value
    return plain


def _compiled_rows(stmt, rows):
    single, multi = {}, {}
    for key, value in stmt.compile().params.items():
        match = _MULTI_VALUE.match(key)
        if match and match["key"] in stmt.table.c:
            multi.setdefault(int(match["row"]), {})[match["key"]] = value
        elif value is not None:
            single[key] = value
    if multi:
        rows = [multi[index] for index in sorted(multi)]
    return [single | row for row in rows]
