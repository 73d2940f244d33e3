"""`rq cron app/jobs/cron.py`: periodic work. Run exactly one, with TZ=UTC."""
from rq import cron

from app.jobs import (ab_looks, analytics, audience_sync, conversions, domains, event_months,
                      retention, webhooks)
from app.jobs.lifecycle import LIFECYCLE_QUEUE, reconcile
from app.webhooks import events

cron.register(reconcile, LIFECYCLE_QUEUE, args=(None,), interval=60)
# Fan page events are drained as they come (capture queues a drain); this is the safety net.
cron.register(analytics.drain, "analytics", args=(None,), interval=60)
cron.register(analytics.record_deliveries, "analytics", args=(None,), interval=60)
# Running A/B tests: the readout's evidence kept, and a test set to stop by itself stopped.
cron.register(ab_looks.look_all, ab_looks.QUEUE, args=(None,), interval=ab_looks.EVERY)
# Webhooks, ad conversions and email tools: retries that came due, what no job was queued for.
cron.register(webhooks.sweep, events.QUEUE, args=(None,), interval=60)
cron.register(conversions.sweep, conversions.QUEUE, args=(None,), interval=60)
cron.register(audience_sync.sweep, audience_sync.QUEUE, args=(None,), interval=60)
# Each connected email tool's audiences against the fans' consents, once a night.
cron.register(audience_sync.reconcile, audience_sync.QUEUE, args=(None,), cron="17 3 * * *")
# The raw events' partitions of the months to come (PostgreSQL), made ahead.
cron.register(event_months.make_ahead, event_months.QUEUE, args=(None,), cron=event_months.CRON)
# Data retention: each label's policy applied, one label at a time, at a quiet hour.
cron.register(retention.nightly, retention.QUEUE, args=(None,), cron=retention.CRON,
              job_timeout=retention.TIMEOUT)
# Custom domains: each proven one checked again daily, each new one hourly in its first week.
cron.register(domains.recheck_proven, domains.QUEUE, args=(None,), cron=domains.DAILY,
              job_timeout=domains.TIMEOUT)
cron.register(domains.recheck_new, domains.QUEUE, args=(None,), cron=domains.HOURLY,
              job_timeout=domains.TIMEOUT)
