"""Prometheus metrics: every counter and histogram is defined here, once (name, help, labels).

Jobs, platform clients and the fan pages count through the helpers below; /metrics
(app.views.public.metrics) exposes them with what app.jobs.backlog reads when scraped.
Labels never carry a tenant, an artist or a fan: platforms, outcomes, channels, queues,
routes and status codes only.

With PROMETHEUS_MULTIPROC_DIR set before the process starts (gunicorn's workers, the rq
workers and the work horses they fork), prometheus_client keeps each process's values in
files there, and a scrape sums them; without it each process counts in memory, and a scrape
sees its own process only (tests, a single-process server).
"""
from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter,
                               Histogram, generate_latest)
from prometheus_client.multiprocess import MultiProcessCollector

PRESAVES = Counter(
    "presave_presaves_total", "Pre-save outcomes written to the ledger",
    ["platform", "outcome"])  # delivered, failed, revoked, retry, cancelled, lease_lost
PLATFORM_CALLS = Counter(
    "presave_platform_calls_total", "Answers from the streaming platforms' APIs, by HTTP status",
    ["platform", "status"])
RETRY_AFTER = Histogram(
    "presave_platform_retry_after_seconds", "Retry-After of the platforms' 429 answers",
    ["platform"], buckets=(1, 5, 10, 30, 60, 120, 300, 900, 3600, 86400))
STRANDED_LEASES = Counter(
    "presave_stranded_leases_returned_total",
    "Rows whose lease outlived its worker, returned to waiting by the reconciler", ["ledger"])
ANALYTICS_INGESTED = Counter(
    "presave_analytics_events_ingested_total", "Analytics stream entries stored as events")
MESSAGES = Counter(
    "presave_messages_total", "Messages to fans settled, by channel and outcome",
    ["channel", "outcome"])
FAN_PAGE_REQUESTS = Counter(
    "presave_fan_page_requests_total", "Fan page (/s/...) responses, by route and status",
    ["endpoint", "status"])
FAN_PAGE_SECONDS = Histogram(
    "presave_fan_page_duration_seconds", "Time to answer a fan page (/s/...), by route",
    ["endpoint"])
TOKEN_REFRESHES = Counter(
    "presave_token_refreshes_total", "Fans' access tokens refreshed at the platform",
    ["platform", "outcome"])  # ok, revoked, error


def add(counter, amount, *labels):
    """Count ``amount`` (nothing when 0: a forked work horse that counted nothing leaves no
    file behind in multiprocess mode)."""
    if amount:
        (counter.labels(*labels) if labels else counter).inc(amount)


def presaves_settled(platform, counts):
    """{outcome: how many} written for one platform's rows."""
    for outcome, count in counts.items():
        add(PRESAVES, count, platform, outcome)


def platform_answered(platform, status, retry_after=None):
    PLATFORM_CALLS.labels(platform, str(status)).inc()
    if retry_after is not None:
        RETRY_AFTER.labels(platform).observe(retry_after)


def messages_settled(channels, outcomes):
    for channel, outcome in zip(channels, outcomes):
        MESSAGES.labels(channel, outcome).inc()


def fan_page_answered(endpoint, status, seconds):
    FAN_PAGE_REQUESTS.labels(endpoint, status).inc()
    FAN_PAGE_SECONDS.labels(endpoint).observe(seconds)


def exposition(multiprocess_dir, *collectors):
    """(body, content type) of a scrape: every process's counts (from ``multiprocess_dir``,
    when set) or this process's, then what ``collectors`` read now."""
    scraped = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        scraped.register(collector)
    if multiprocess_dir:
        MultiProcessCollector(scraped, path=multiprocess_dir)
        return generate_latest(scraped), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY) + generate_latest(scraped), CONTENT_TYPE_LATEST

