"""Where Redis is: one server (REDIS_URL), or the master a set of Sentinels names (REDIS_SENTINELS),
for every user of Redis alike: the app's connection, Flask-Limiter's storage and the RQ command line
(app/jobs/rq_settings.py). RQ cannot use Redis Cluster; it works with Sentinel.

Through Sentinel, a connection asks the sentinels for the master when it connects, and drops its
connections when the master it knew went away or became a replica (redis-py's
SentinelConnectionPool), so a failover costs the commands sent while no master is known.
"""
import redis
from redis.sentinel import Sentinel

# A master that vanished without closing its sockets (a machine dying) is noticed after this
# long, not after TCP's minutes. Longer than any blocking read of ours (the analytics drain
# lingers 1 s; an RQ worker raises its own connection's timeout above its dequeue wait).
SOCKET_TIMEOUT = 10
CONNECT_TIMEOUT = 2


def sentinel_nodes(text):
    """[(host, port), ...] from "host:port,host:port"."""
    nodes = []
    for item in text.split(","):
        host, _, port = item.strip().rpartition(":")
        nodes.append((host or "127.0.0.1", int(port)))
    return nodes


def uses_sentinel(config):
    return bool(config.get("REDIS_SENTINELS"))


def _sentinel_auth(config):
    password = config.get("REDIS_SENTINEL_PASSWORD")
    return {"password": password} if password else {}


def connect(config):
    """A Redis client for ``config`` (a Flask config or any mapping of the settings)."""
    if not uses_sentinel(config):
        return redis.Redis.from_url(config["REDIS_URL"])
    sentinel = Sentinel(sentinel_nodes(config["REDIS_SENTINELS"]),
                        sentinel_kwargs={**_sentinel_auth(config), "socket_timeout": CONNECT_TIMEOUT},
                        socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=CONNECT_TIMEOUT)
    return sentinel.master_for(config["REDIS_SENTINEL_MASTER"],
                               password=config.get("REDIS_PASSWORD") or None)


def limiter_storage(config):
    """(Flask-Limiter's storage URI, its options) for the Sentinel set-up (the limits library's
    redis+sentinel scheme); always the master, so a limit is never read stale from a replica."""
    password = config.get("REDIS_PASSWORD")
    auth = f":{password}@" if password else ""
    uri = f"redis+sentinel://{auth}{config['REDIS_SENTINELS']}/{config['REDIS_SENTINEL_MASTER']}"
    options = {"use_replicas": False, "socket_timeout": SOCKET_TIMEOUT,
               "sentinel_kwargs": {**_sentinel_auth(config), "socket_timeout": CONNECT_TIMEOUT}}
    return uri, options


def rq_settings(config):
    """The settings RQ's command line reads from a module (``rq worker -c``): REDIS_URL, or its
    SENTINEL dictionary."""
    if not uses_sentinel(config):
        return {"REDIS_URL": config["REDIS_URL"]}
    return {"SENTINEL": {
        "INSTANCES": sentinel_nodes(config["REDIS_SENTINELS"]),
        "MASTER_NAME": config["REDIS_SENTINEL_MASTER"],
        "PASSWORD": config.get("REDIS_PASSWORD") or None,
        "SOCKET_TIMEOUT": SOCKET_TIMEOUT,
        "CONNECTION_KWARGS": {"socket_connect_timeout": CONNECT_TIMEOUT},
        "SENTINEL_KWARGS": {**_sentinel_auth(config), "socket_timeout": CONNECT_TIMEOUT},
    }}
