"""Injected trouble, per platform: latency, an exhausted quota, 429s (bursts, a rate limit
or at random) and 5xx.

Applied before authentication on every `api` route; each platform's dialect
shapes the answer as the real service would. Every injected answer is counted
(state.injected), so a test or benchmark can say what the platform put it through.

- limit_rps with limit_window_s: a rolling window shared by every web process, as
  Spotify computes its rate limit over a rolling 30 seconds; a request over the
  limit gets 429 with Retry-After, the whole seconds until the window has room.
- burst_every_s with burst_for_s: for the first burst_for_s seconds of every
  burst_every_s (by the wall clock), every call gets 429 with Retry-After until the
  burst ends, whatever the load.
"""
import math
import random
import time

from app.sandbox import state


def injected(dialect):
    """The fault answer for this request, or None to serve it normally."""
    settings = state.faults(dialect.platform)
    if settings["latency_ms"]:
        time.sleep(settings["latency_ms"] / 1000)
    platform = dialect.platform
    if settings["quota_exceeded"]:
        return _counted(platform, "quota_exceeded",
                        dialect.quota_exceeded(settings["retry_after"]))
    burst = _in_burst(settings)
    wait = burst or _over_limit(platform, settings)
    if wait:
        fault = "burst_429" if burst else "limit_rps"
        return _counted(platform, fault, dialect.rate_limited(max(1, math.ceil(wait))))
    if _hit(settings["rate_429"]):
        return _counted(platform, "rate_429", dialect.rate_limited(settings["retry_after"]))
    if _hit(settings["rate_5xx"]):
        return _counted(platform, "rate_5xx", dialect.unavailable())
    return None


def _in_burst(settings):
    """Seconds left of the current burst, or None outside one."""
    every, length = settings["burst_every_s"], settings["burst_for_s"]
    if not every or not length:
        return None
    phase = state.now() % every
    return length - phase if phase < length else None


def _over_limit(platform, settings):
    """Seconds until the rolling window admits this request, or None when it is admitted."""
    if not settings["limit_rps"]:
        return None
    window = settings["limit_window_s"]
    return state.admit(platform, max(1, int(settings["limit_rps"] * window)), window)


def _counted(platform, fault, answer):
    state.count_injected(platform, fault)
    return answer


def _hit(rate):
    return rate > 0 and random.random() < rate
