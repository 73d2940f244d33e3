"""Writing the trail: one entry per action, in the transaction of the action.

Changes to the audited models (app.audit.subjects) are gathered as the session flushes,
whoever makes them (the admin, the API, the CLI, a job), and written as the session commits,
so a change without its entry cannot be committed and a rolled-back action leaves none.
Code that knows what an action means names it: ``record("release.archived", release)``;
the changes of the same object in the same transaction join that entry. Actions that change
no audited row (an export, a sign-in, a retention run) are recorded the same way without an
object. Entries go in with a plain INSERT and nothing here can change or delete one.
"""
import copy
from dataclasses import dataclass, field, replace

from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from app.audit import subjects
from app.localtime import now_utc
from app.models import AuditEntry, Label, PresaveUser
from app.tenants.context import current_scope

_KEY = "audit_pending"
_SAVED = "audit_saved"  # savepoint -> what was pending when it began


@dataclass
class _Entry:
    action: str | None = None
    obj: object = None
    subject: subjects.Subject | None = None
    verb: str | None = None  # created, changed, deleted: what the rows say when unnamed
    changes: dict = field(default_factory=dict)  # field -> [before, after]
    detail: dict = field(default_factory=dict)
    label_id: int | None = None
    object_type: str | None = None
    object_id: int | None = None
    object_name: str | None = None
    actor: dict | None = None

    def merge(self, found, created=False):
        for key, (before, after) in found.items():
            if key in self.changes:
                self.changes[key][1] = after
            else:  # a field first set after the row was made in this transaction: from nothing
                self.changes[key] = [None if created else before, after]


class _Pending:
    def __init__(self):
        self.by_object = {}  # id(obj) -> _Entry
        self.loose = []      # entries naming no audited object

    def for_object(self, obj, subject):
        entry = self.by_object.get(id(obj))
        if entry is None:
            entry = self.by_object[id(obj)] = _Entry(obj=obj, subject=subject)
        return entry

    def copy(self):
        """The same entries, their changes and detail copied (the rows stay the same)."""
        def again(entry):
            return replace(entry, changes=copy.deepcopy(entry.changes),
                           detail=copy.deepcopy(entry.detail))
        kept = _Pending()
        kept.by_object = {key: again(entry) for key, entry in self.by_object.items()}
        kept.loose = [again(entry) for entry in self.loose]
        return kept


def _pending(session):
    return session.info.setdefault(_KEY, _Pending())


def record(action, obj=None, *, session=None, label_id=None, detail=None, name=None,
           actor=None, object_type=None, object_id=None):
    """Name this transaction's entry for ``obj`` (the first name given wins), or add an entry
    about no audited row. ``detail``: what else to keep (counts, a reason); ``actor``: who,
    where the scope does not say (a sign-in before there is one)."""
    from app.extensions import db

    session = session or db.session()
    if not session.in_transaction():
        session.begin()  # the entry belongs to a transaction: a rollback takes it back
    pending = _pending(session)
    subject = subjects.subject_of(obj) if obj is not None else None
    if subject is not None:
        owner = subject.owner(obj, session) if subject.owner else obj
        entry = pending.for_object(owner, subjects.subject_of(owner))
        entry.action = entry.action or action
    else:
        entry = _Entry(action=action, obj=obj, label_id=label_id, object_type=object_type,
                       object_id=object_id if object_id is not None else getattr(obj, "id", None),
                       object_name=name)
        pending.loose.append(entry)
    entry.detail.update(detail or {})
    entry.actor = actor or entry.actor
    return entry


def install():
    if not event.contains(Session, "before_flush", _gather):
        event.listen(Session, "before_flush", _gather)
        event.listen(Session, "before_commit", _write)
        event.listen(Session, "after_transaction_create", _savepoint_begun)
        event.listen(Session, "after_soft_rollback", _rolled_back)
        event.listen(Session, "after_commit", _committed)
        for model, subject in subjects.SUBJECTS.items():
            if subject.owner is None:
                event.listen(model, "before_insert", _fresh_id)


def _fresh_id(mapper, connection, obj):
    """An audited row's id is never one the trail already names: a new row with a deleted
    one's id would read its entries (a new user a former colleague's, a new release another
    artist's). PostgreSQL's sequences never give an id twice; SQLite gives the largest again
    once that row is deleted, so there the id is taken past every id the trail knows."""
    if obj.id is not None or connection.dialect.name != "sqlite":
        return
    table, kind = mapper.local_table, subjects.subject_of(obj).kind
    known = [select(func.max(table.c.id)),
             select(func.max(AuditEntry.object_id)).where(AuditEntry.object_type == kind)]
    if isinstance(obj, Label):
        known.append(select(func.max(AuditEntry.label_id)))
    if isinstance(obj, PresaveUser):
        known.append(select(func.max(AuditEntry.actor_user_id)))
    fresh = max(connection.scalar(query) or 0 for query in known) + 1
    given = connection.info.setdefault("audit_fresh_ids", {})  # rows of this same flush
    obj.id = given[table.name] = max(fresh, given.get(table.name, 0) + 1)


def _gather(session, flush_context, instances):
    pending = None
    for objects, verb in ((session.new, "created"), (session.dirty, "changed"),
                          (session.deleted, "deleted")):
        for obj in objects:
            subject = subjects.subject_of(obj)
            if subject is None or not subject.when(obj):
                continue
            if verb == "changed" and not session.is_modified(obj):
                continue
            pending = pending or _pending(session)
            _note(session, pending, obj, subject, verb)


def _note(session, pending, obj, subject, verb):
    if verb == "deleted":
        found = subjects.snapshot(obj, subject)
    else:
        found = subjects.values(obj, subject, changed_only=verb == "changed")
    if subject.owner:
        owner = subject.owner(obj, session)
        if owner is None:
            return
        entry = pending.for_object(owner, subjects.subject_of(owner))
        entry.verb = entry.verb or f"{subject.part_kind}_{verb}"
    else:
        entry = pending.for_object(obj, subject)
        if entry.verb != "created":  # created then changed in one transaction: created
            entry.verb = verb if entry.verb is None or verb == "deleted" else entry.verb
        if verb == "deleted":  # identify it now: after the flush it is gone
            entry.object_id, entry.object_name = obj.id, subject.name(obj)
            entry.label_id = subject.label(obj)
    entry.merge(found, created=entry.verb == "created")


def _write(session):
    if session.in_nested_transaction():
        return  # a savepoint released: its work is written, or not, with the transaction's
    session.flush()  # commit would flush next: done first, the changes join their entries
    pending = session.info.pop(_KEY, None)
    if pending is None:
        return
    rows = [row for entry in [*pending.by_object.values(), *pending.loose]
            if (row := _row(entry)) is not None]
    if rows:
        session.execute(insert(AuditEntry.__table__), rows)


def _savepoint_begun(session, transaction):
    if transaction.nested and _KEY in session.info:
        session.info.setdefault(_SAVED, {})[transaction] = session.info[_KEY].copy()


def _rolled_back(session, previous):
    """A savepoint rolled back takes back what it added; a transaction, everything."""
    saved = session.info.get(_SAVED, {})
    if previous.nested:
        before = saved.pop(previous, None)
        if before is None:
            session.info.pop(_KEY, None)  # nothing was pending when the savepoint began
        else:
            session.info[_KEY] = before
        return
    session.info.pop(_KEY, None)
    session.info.pop(_SAVED, None)


def _committed(session):
    if not session.in_nested_transaction():
        session.info.pop(_SAVED, None)


def _row(entry):
    subject = entry.subject
    if subject is not None and not entry.changes and entry.action is None:
        return None  # only bookkeeping moved
    if subject is not None:
        obj = entry.obj
        if entry.object_id is None:
            entry.object_id, entry.object_name = obj.id, subject.name(obj)
            entry.label_id = subject.label(obj)
        action = entry.action or f"{subject.kind}.{entry.verb or 'changed'}"
        object_type = subject.kind
    else:
        action, object_type = entry.action, entry.object_type
    return {"at": now_utc(), "label_id": entry.label_id, **(entry.actor or actor_now()),
            "action": action, "object_type": object_type, "object_id": entry.object_id,
            "object_name": _clip(entry.object_name), "changes": entry.changes or None,
            "detail": entry.detail or None}


def actor_now():
    """Who is acting, as the scope says: a user (on the web or through the API), a command,
    a job, a fan."""
    scope = current_scope()
    if scope is None:
        return {"actor_kind": "system", "actor_user_id": None, "actor_name": "system",
                "actor_role": None}
    if scope.user_id is not None:
        return {"actor_kind": "api" if scope.via == "api" else "user",
                "actor_user_id": scope.user_id, "actor_name": _clip(scope.actor),
                "actor_role": scope.role}
    kind = ("cli" if scope.actor.startswith("cli") else "fan" if scope.actor == "fan"
            else "system")
    return {"actor_kind": kind, "actor_user_id": None, "actor_name": _clip(scope.actor),
            "actor_role": "Admin" if kind == "cli" else None}


def user_actor(user, role=None):
    """A user acting before their sign-in gives a scope."""
    return {"actor_kind": "user", "actor_user_id": user.id, "actor_name": _clip(user.username),
            "actor_role": role}


def _clip(text, size=256):
    return None if text is None else str(text)[:size]
