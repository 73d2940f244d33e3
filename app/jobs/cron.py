"""`rq cron app/jobs/cron.py`: periodic work. Run exactly one, with TZ=UTC."""
from rq import cron

from app.jobs import analytics
from app.jobs.lifecycle import LIFECYCLE_QUEUE, reconcile

cron.register(reconcile, LIFECYCLE_QUEUE, args=(None,), interval=60)
# Fan page events are drained as they come (capture queues a drain); this is the safety net.
cron.register(analytics.drain, "analytics", args=(None,), interval=60)
cron.register(analytics.record_deliveries, "analytics", args=(None,), interval=60)
