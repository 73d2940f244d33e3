"""Injected trouble, per platform: latency, 429s, 5xx and an exhausted quota.

Applied before authentication on every `api` route; each platform's dialect
shapes the answer as the real service would.
"""
import random
import time

from app.sandbox import state


def injected(dialect):
    """The fault answer for this request, or None to serve it normally."""
    settings = state.faults(dialect.platform)
    if settings["latency_ms"]:
        time.sleep(settings["latency_ms"] / 1000)
    if settings["quota_exceeded"]:
        return dialect.quota_exceeded(settings["retry_after"])
    if _hit(settings["rate_429"]):
        return dialect.rate_limited(settings["retry_after"])
    if _hit(settings["rate_5xx"]):
        return dialect.unavailable()
    return None


def _hit(rate):
    return rate > 0 and random.random() < rate
