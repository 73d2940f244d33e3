"""The nightly retention run (`rq cron`, at CRON in UTC): every label's policy applied, one
label at a time, each in a job context of its own; then the audit entries of no label and the
raw analytics events past EVENT_RETENTION_MONTHS (app.analytics.event_months). One
label's failure does not keep the others from their run; the job fails afterwards, naming it."""
import logging
from datetime import datetime, time, timedelta

from sqlalchemy import select

from app.analytics import event_months
from app.extensions import db
from app.jobs.runtime import job_context
from app.localtime import now_utc
from app.models import Label
from app.retention import run

QUEUE = "default"
AT = time(2, 41)  # a quiet hour: after the minute crons' busiest work, before Europe wakes
CRON = f"{AT.minute} {AT.hour} * * *"
TIMEOUT = 6 * 3600  # a first run on a large instance erases many fans, each its own queries
ACTOR = "retention"
log = logging.getLogger(__name__)


def next_run(now):
    """When the nightly run next starts after ``now`` (rq cron runs with TZ=UTC)."""
    today = datetime.combine(now.date(), AT, tzinfo=now.tzinfo)
    return today if today > now else today + timedelta(days=1)


def nightly(label_id=None):
    """Every label's run (or one label's), then the instance's own audit entries and the raw
    events past their limit. {label id, "instance" or "events": counts}."""
    now = now_utc()
    if label_id is None:
        with job_context(None, ACTOR):
            label_ids = db.session.scalars(select(Label.id).order_by(Label.id)).all()
    else:
        label_ids = [label_id]
    done, failed = {}, []
    for each in label_ids:
        try:
            with job_context(each, ACTOR):
                done[each] = run.apply(each, now)
        except Exception:
            log.exception("retention: the run of label %s failed", each)
            failed.append(each)
    if label_id is None:
        with job_context(None, ACTOR):
            done["instance"] = run.apply(None, now)
            done["events"] = {str(m.month): m.events if m.counted else "kept: not all counted"
                              for m in event_months.drop_old(now)}
    if failed:
        raise RuntimeError(f"retention failed for label(s) {failed}; the others ran")
    return done
