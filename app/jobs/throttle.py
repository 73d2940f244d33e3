"""Platform-wide pauses shared by every worker, and back-off for one pre-save.

A 429's Retry-After is a statement about the app on that platform, not about
one fan: the resume time goes into Redis under the platform (and the app's
client id, since labels may bring their own app) and every worker reads it
before calling. The key only ever moves later, and expires at the resume time.
"""
import hashlib
import random
import time

from app.extensions import redis_connection

DEFAULT_PAUSE = 5.0  # seconds, when a 429 says nothing
BACKOFF_BASE, BACKOFF_CAP = 15.0, 3600.0  # seconds
MAX_ATTEMPTS = 8

# Set the resume time only if later than the stored one; expire with it.
_PAUSE_SCRIPT = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local resume = tonumber(ARGV[1])
if resume > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""


def pause_key(platform, client_id):
    app = hashlib.sha256((client_id or "").encode()).hexdigest()[:12]
    return f"presave:pause:{platform}:{app}"


def pause(key, seconds):
    """Pause the platform app for ``seconds``; the resume time (epoch seconds)."""
    seconds = DEFAULT_PAUSE if seconds is None else max(float(seconds), 0.5)
    resume = time.time() + seconds
    redis_connection().eval(_PAUSE_SCRIPT, 1, key, f"{resume:.3f}", int(seconds * 1000) + 1000)
    return resume_at(key) or resume


def resume_at(key):
    """Epoch seconds when calls may resume, or None when not paused."""
    raw = redis_connection().get(key)
    resume = float(raw) if raw else None
    return resume if resume and resume > time.time() else None


def backoff(attempts, rng=random):
    """Seconds before attempt ``attempts + 1``: exponential, capped, with jitter (50-100 %)."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(attempts - 1, 0))
    return ceiling * rng.uniform(0.5, 1.0)
