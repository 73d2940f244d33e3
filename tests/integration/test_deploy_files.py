"""deploy/systemd: each unit's command line parses with the program it runs, and names what the
app has (its module, worker class, queues, cron file); systemd reads every unit without a word."""
import importlib
import pkgutil
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from config import BASE_DIR, Config

UNITS = BASE_DIR / "deploy" / "systemd"
INSTALLED = "/opt/presave"


def unit(name):
    """{section: {key: [values]}} of a unit file."""
    sections, current = {}, None
    for line in (UNITS / name).read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        else:
            key, _, value = line.partition("=")
            current.setdefault(key.strip(), []).append(value.strip())
    return sections


def exec_start(name, **environment):
    """ExecStart's argv as systemd hands it over: %% is %, ${VAR} from the environment."""
    (line,) = unit(name)["Service"]["ExecStart"]
    line = re.sub(r"\$\{(\w+)\}", lambda m: environment[m.group(1)], line.replace("%%", "%"))
    return shlex.split(line)


def service_units():
    return sorted(p.name for p in UNITS.glob("*.service"))


@pytest.mark.parametrize("name", ["presave-web.service", "presave-worker@.service",
                                  "presave-cron.service"])
def test_every_service_runs_the_installed_venv_as_the_presave_user_and_comes_back(name):
    service = unit(name)["Service"]
    assert service["User"] == ["presave"]
    assert service["WorkingDirectory"] == [INSTALLED]
    assert service["EnvironmentFile"] == ["/etc/presave/presave.env"]
    assert "TZ=UTC" in service["Environment"]
    assert service["Restart"] == ["always"] and int(service["RestartSec"][0]) > 0
    program = Path(exec_start(name, REDIS_URL="redis://127.0.0.1:6379/0")[0])
    assert program.parent == Path(INSTALLED) / ".venv" / "bin"
    assert (Path(sys.prefix) / "bin" / program.name).is_file()  # what requirements.txt installs
    assert unit(name)["Install"]["WantedBy"] == ["presave.target"]
    assert unit(name)["Unit"]["PartOf"] == ["presave.target"]
    assert name in service_units()


def test_the_web_unit_serves_run_app_where_caddy_sends_requests_without_logging_query_strings(app):
    from flask import Flask
    from gunicorn.config import Config as GunicornConfig
    from gunicorn.util import import_app

    argv = exec_start("presave-web.service")
    assert Path(argv[0]).name == "gunicorn"
    options = GunicornConfig().parser().parse_args(argv[1:])
    caddy_port = re.search(r"reverse_proxy 127\.0\.0\.1:\{\$PRESAVE_PORT:(\d+)\}",
                           (BASE_DIR / "deploy" / "Caddyfile").read_text()).group(1)
    assert options.bind == [f"127.0.0.1:{caddy_port}"]
    assert options.args == ["run:app"]
    assert (BASE_DIR / options.config).is_file()  # relative to WorkingDirectory, the checkout
    assert isinstance(import_app("run:app"), Flask)
    assert "%(U)s" in options.access_log_format  # the path alone: OAuth codes travel in queries
    assert not {"%(r)s", "%(q)s", "%({raw_uri}e)s"} & set(re.findall(r"%\([^)]*\)s",
                                                                     options.access_log_format))
    assert options.graceful_timeout < int(unit("presave-web.service")["Service"]
                                          ["TimeoutStopSec"][0])


def job_queue_names():
    """Every queue a job module enqueues on, by its constants (QUEUE, DELIVERY_QUEUE, ...)."""
    import app.jobs

    names = set()
    for module in pkgutil.iter_modules(app.jobs.__path__):
        loaded = importlib.import_module(f"app.jobs.{module.name}")
        names |= {value for key, value in vars(loaded).items()
                  if (key == "QUEUE" or key.endswith("_QUEUE")) and isinstance(value, str)}
    return names


def test_the_worker_template_takes_every_queue_with_the_presave_worker_and_stops_warm(app):
    from rq import Worker
    from rq.cli import main as rq
    from rq.utils import import_attribute

    from app.jobs.leases import LEASE_SECONDS
    from app.jobs.links import JOB_TIMEOUT
    from app.jobs.release_day import BATCH_TIMEOUT

    argv = exec_start("presave-worker@.service", REDIS_URL="redis://127.0.0.1:6379/0")
    assert Path(argv[0]).name == "rq" and argv[1] == "worker"
    options = rq.commands["worker"].make_context("worker", argv[2:]).params
    assert options["url"] == "redis://127.0.0.1:6379/0"
    assert options["with_scheduler"]  # enqueue_at and retries with intervals need it
    worker_class = import_attribute(options["worker_class"])
    assert issubclass(worker_class, Worker) and worker_class.__module__ == "app.jobs.worker"
    queues = set(options["queues"])
    assert queues == set(Config.RQ_QUEUES)
    assert job_queue_names() <= queues
    service = unit("presave-worker@.service")["Service"]
    # SIGTERM to the worker only (its work horse dies on one), then the running job's time.
    assert service["KillSignal"] == ["SIGTERM"] and service["KillMode"] == ["mixed"]
    assert int(service["TimeoutStopSec"][0]) > max(BATCH_TIMEOUT, JOB_TIMEOUT, LEASE_SECONDS)


def test_exactly_one_cron_runs_the_cron_file_whose_queues_the_workers_take(app):
    import redis
    from rq.cli import main as rq
    from rq.cron import CronScheduler

    argv = exec_start("presave-cron.service", REDIS_URL=app.config["REDIS_URL"])
    assert Path(argv[0]).name == "rq" and argv[1] == "cron"
    options = rq.commands["cron"].make_context("cron", argv[2:]).params
    cron_file = BASE_DIR / options["config_path"]  # relative to WorkingDirectory, the checkout
    assert cron_file == BASE_DIR / "app" / "jobs" / "cron.py" and cron_file.is_file()
    scheduler = CronScheduler(connection=redis.Redis.from_url(app.config["REDIS_URL"]))
    scheduler.load_config_from_file(str(cron_file))
    worker_queues = set(rq.commands["worker"].make_context("worker", exec_start(
        "presave-worker@.service", REDIS_URL="redis://x")[2:]).params["queues"])
    assert {job.queue_name for job in scheduler.get_jobs()} <= worker_queues
    assert len(scheduler.get_jobs()) > 1
    runs_cron = [name for name in service_units()
                 if exec_start(name, REDIS_URL="redis://x")[1:2] == ["cron"]]
    assert runs_cron == ["presave-cron.service"]  # a plain unit, not a template


@pytest.mark.parametrize("name", ["presave-web.service", "presave-worker@.service"])
def test_web_and_workers_count_into_the_metrics_folder_emptied_before_they_start(name):
    folder = unit("presave-metrics.service")["Service"]
    assert folder["Type"] == ["oneshot"] and folder["RemainAfterExit"] == ["yes"]
    assert folder["User"] == ["presave"]
    path = f"/run/{folder['RuntimeDirectory'][0]}"  # systemd makes it empty at each start
    service = unit(name)
    assert f"PROMETHEUS_MULTIPROC_DIR={path}" in service["Service"]["Environment"]
    assert "presave-metrics.service" in service["Unit"]["Requires"]
    assert "presave-metrics.service" in service["Unit"]["After"][0].split()
    assert unit("presave-metrics.service")["Unit"]["PartOf"] == ["presave.target"]


def test_systemd_reads_every_unit_without_a_warning(tmp_path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: apt-get install systemd"
    # Installed under /opt/presave; here the checkout stands in for it, so the programs exist.
    for path in UNITS.iterdir():
        (tmp_path / path.name).write_text(path.read_text().replace(INSTALLED, str(BASE_DIR)))
    shutil.copy(tmp_path / "presave-worker@.service", tmp_path / "presave-worker@1.service")
    checked = ["presave-web.service", "presave-worker@1.service", "presave-cron.service",
               "presave-metrics.service", "presave.target"]
    done = subprocess.run([analyze, "verify", *(str(tmp_path / name) for name in checked)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == "", done.stderr
