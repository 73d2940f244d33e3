"""The raw events' months (app.analytics.event_months), by `rq cron`: each night the
partitions of the months ahead are made, and rows a month without one took moved into theirs.
Old months are removed by the nightly retention run (app.jobs.retention)."""
from app.analytics import event_months
from app.jobs.runtime import tenant_job
from app.localtime import now_utc

QUEUE = "default"
CRON = "7 0 * * *"  # UTC, just after a month begins: the next AHEAD months are there already


@tenant_job
def make_ahead(label_id=None):
    """Make the months to come; returns the months made ("2027-03")."""
    return [str(month) for month in event_months.ensure(now_utc())]
