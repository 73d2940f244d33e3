"""A retention run for one label: ``plan`` lists what each rule finds due at ``now`` (the dry
run shows it), ``apply`` does exactly that work, in batches each committed on its own, and
records the run in the audit trail with its counts per rule. The caller gives the scope:
the label's (app.jobs.runtime.job_context), or the platform's for the rows of no label.

A row listed by the plan is acted on only if it is still due when its batch comes, so a long
run never deletes what stopped being due under it (the counts then say fewer). Nothing that
was not listed is touched beyond what its action means: a deleted fan's consents, first
touch and notices go with them, an erased fan's as app.presaves.fan_data says, and the
pre-saves that used a deleted grant stop pointing at it.
"""
from dataclasses import dataclass, field

from sqlalchemy import func, select

from app import audit
from app.extensions import db
from app.localtime import iso_utc, now_utc
from app.retention import policy
from app.retention.rules import AUDIT_RULE, GONE_LABELS_AUDIT_RULE, RULES, Context

BATCH = 200  # rows per transaction: a long run holds no lock for long
# The rows of no label: the operator's audit entries, and those of labels deleted since.
INSTANCE_RULES = [AUDIT_RULE, GONE_LABELS_AUDIT_RULE]


@dataclass
class Plan:
    """What a run finds due: {rule key: [ids]}, in the order of ``rules``; ``ctx`` says for
    which label, when, and the limits in force."""

    ctx: Context
    rules: list
    due: dict = field(default_factory=dict)

    @property
    def total(self):
        return sum(len(ids) for ids in self.due.values())

    def counts(self):
        return {key: len(ids) for key, ids in self.due.items()}


def context(label_id, now):
    limits = policy.limits_for(label_id) if label_id is not None else policy.instance_limits()
    return Context(label_id, now, limits)


def rules_for(label_id):
    return RULES if label_id is not None else INSTANCE_RULES


def plan(label_id, now, progress=None):
    """Every rule's due rows; ``progress(1)`` after each rule. ``label_id`` None: the audit
    entries of no label."""
    ctx = context(label_id, now)
    found = Plan(ctx, rules_for(label_id))
    for rule in found.rules:
        found.due[rule.key] = db.session.scalars(
            select(rule.model.id).where(rule.due(ctx)).order_by(rule.model.id)).all()
        if progress:
            progress(1)
    return found


def counts(label_id, now):
    """{rule key: how many rows are due}: the plan's counts, without listing the rows."""
    ctx = context(label_id, now)
    return {rule.key: db.session.scalar(select(func.count()).select_from(
        select(rule.model.id).where(rule.due(ctx)).subquery())) for rule in rules_for(label_id)}


def apply(label_id, now, progress=None, planned=None):
    """Do the work of the plan at ``now`` (``planned``: one made already, for the same label
    and time), never later than the clock: the database's own guard on the audit trail counts
    from the real time. ``progress(n)`` after each batch of n listed rows. {rule key: rows
    acted on}."""
    if now > now_utc():
        raise ValueError("a retention run cannot act at a time still to come")
    found = planned or plan(label_id, now)
    if (found.ctx.label_id, found.ctx.now) != (label_id, now):
        raise ValueError("the plan given is another label's or time's")
    ctx = found.ctx
    done = dict.fromkeys(found.due, 0)
    try:
        for rule in found.rules:
            ids = found.due[rule.key]
            for start in range(0, len(ids), BATCH):
                batch = ids[start:start + BATCH]
                still = db.session.scalars(select(rule.model.id).where(
                    rule.model.id.in_(batch), rule.due(ctx))).all()
                if still:
                    done[rule.key] += rule.act(ctx, still)
                db.session.commit()
                if progress:
                    progress(len(batch))
    except Exception as exc:
        db.session.rollback()
        _record(label_id, now, done, failed=type(exc).__name__)
        raise
    _record(label_id, now, done)
    return done


def _record(label_id, now, done, failed=None):
    detail = {"at": iso_utc(now), "counts": done, "total": sum(done.values())}
    if failed:
        detail["stopped_by"] = failed
    audit.record("retention.run", label_id=label_id, detail=detail, name="data retention")
    db.session.commit()
