"""`run.py` and the embedded Redis: the process that started the server stops it (`flask init`
leaves none running, nor does `run.py` stopped with SIGTERM), and run.py's terminal says
which process wrote each line, keeps the access log in a file and ends with the logins."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

from app.embedded.redis_server import answers

ROOT = Path(__file__).resolve().parents[2]


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
    assert (tmp_path / "redis.db").exists()  # it ran one, and saved it as it stopped
    assert not answers(tmp_path / "redis.sock")


def test_run_py_prefixes_its_lines_prints_the_logins_last_and_stops_its_redis(tmp_path):
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
        deadline = time.monotonic() + 60
        while not (tmp_path / "logs" / "access.log").exists():
            assert time.monotonic() < deadline, "the web process did not start"
            time.sleep(0.2)
        time.sleep(3)  # the banner once the web process answers; worker and cron are up
        assert urlopen(f"http://127.0.0.1:{env['PORT']}/health", timeout=10).status == 200
    finally:
        running.send_signal(signal.SIGTERM)
        output, _ = running.communicate(timeout=60)
    assert not answers(tmp_path / "redis.sock")
    lines = output.splitlines()
    banner = next(i for i, line in enumerate(lines) if "Presave is running at" in line)
    assert "staff@northwind.test" in output and "demo-staff" in output
    assert all(line.split("|")[0].strip() in ("web", "worker", "cron")
               for line in lines[:banner] if line.strip())
    assert "GET /health" not in output
    time.sleep(0.5)
    assert "GET /health" in (tmp_path / "logs" / "access.log").read_text()
