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
PAUSE_READ_EVERY = 0.25  # seconds between two reads of the shared pause by one batch

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


class PauseWatch:
    """resume_at() for one batch, read from Redis at most once per ``every`` seconds: a
    batch checks before each call, and a GET per call would cost more than the call.
    Another worker's pause is seen within ``every``; this batch's own at once (noted)."""

    def __init__(self, key, every=PAUSE_READ_EVERY):
        self.key, self.every = key, every
        self.read_at, self.resume = None, None

    def resume_at(self):
        now = time.monotonic()
        if self.read_at is None or now - self.read_at >= self.every:
            self.read_at, self.resume = now, resume_at(self.key)
        return self.resume if self.resume and self.resume > time.time() else None

    def note(self, resume):
        self.resume = max(self.resume or 0.0, resume)


def backoff(attempts, rng=random):
    """Seconds before attempt ``attempts + 1``: exponential, capped, with jitter (50-100 %)."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(attempts - 1, 0))
    return ceiling * rng.uniform(0.5, 1.0)
