"""The embedded Redis is stopped by the process that started it: `flask init` leaves none
running, and neither does `run.py` stopped with SIGTERM (what Ctrl-C does, for a group)."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[2]


def answers(socket_path):
    try:
        return redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping()
    except (redis.RedisError, OSError):
        return False


def embedded_env(instance):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    return {**env, "INSTANCE_PATH": str(instance), "FLASK_APP": "run"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_flask_init_leaves_no_redis_server_behind(tmp_path):
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run([str(flask), "init"], cwd=ROOT, env=embedded_env(tmp_path),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "redis.db.settings").exists()  # it did run one
    assert not answers(tmp_path / "redis.sock")


def test_stopping_run_py_stops_the_redis_server_it_started(tmp_path):
    flask = Path(sys.executable).with_name("flask")
    env = {**embedded_env(tmp_path), "PORT": str(free_port())}
    subprocess.run([str(flask), "init"], cwd=ROOT, env=env, capture_output=True, timeout=300,
                   check=True)
    running = subprocess.Popen([sys.executable, "run.py"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while not answers(tmp_path / "redis.sock"):
            assert time.monotonic() < deadline and running.poll() is None, "run.py did not start"
            time.sleep(0.2)
        time.sleep(2)  # web, worker and cron are up and connected
    finally:
        running.send_signal(signal.SIGTERM)
        running.wait(timeout=60)
    assert not answers(tmp_path / "redis.sock")
