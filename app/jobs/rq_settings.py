"""The Redis of RQ's command line, from the same settings as the app's (app/redis_ha.py):
`rq worker -c app.jobs.rq_settings ...` and `rq cron -c app.jobs.rq_settings app/jobs/cron.py`
follow REDIS_SENTINELS to the current master (RQ reads this module's SENTINEL dictionary), or
use REDIS_URL when no Sentinels are set, as `--url $REDIS_URL` does."""
from app.redis_ha import rq_settings
from config import Config

_found = rq_settings({name: getattr(Config, name) for name in (
    "REDIS_URL", "REDIS_SENTINELS", "REDIS_SENTINEL_MASTER", "REDIS_PASSWORD",
    "REDIS_SENTINEL_PASSWORD")})
REDIS_URL = _found.get("REDIS_URL")
SENTINEL = _found.get("SENTINEL")
