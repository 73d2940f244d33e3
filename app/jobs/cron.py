"""`rq cron app/jobs/cron.py`: periodic work. Run exactly one, with TZ=UTC."""
from rq import cron

from app.jobs.lifecycle import LIFECYCLE_QUEUE, reconcile

cron.register(reconcile, LIFECYCLE_QUEUE, args=(None,), interval=60)
