"""The RQ worker class: builds the app before forking, never shares a DB pool across a fork.

It stays a forking worker (RQ's advice for production: a crash, a leak or a hard
timeout stays inside one job). What every job needs is loaded once, in the parent,
before the first fork (RQ's "performance notes": import before forking): the app, the
job modules with their libraries (aiohttp), configured mappers. gc.freeze() keeps
those objects out of the collector, so forked work horses do not copy their pages.
"""
import gc
import importlib
import pkgutil

from rq import Worker
from sqlalchemy.orm import configure_mappers

import app.jobs
from app.extensions import db
from app.jobs.runtime import job_app

NOT_JOBS = {"cron", "worker", "rq_settings"}  # cron.py registers schedules for `rq cron`


def import_job_modules():
    for module in pkgutil.iter_modules(app.jobs.__path__):
        if module.name not in NOT_JOBS:
            importlib.import_module(f"app.jobs.{module.name}")


class PresaveWorker(Worker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.flask_app = job_app()
        import_job_modules()
        configure_mappers()
        gc.freeze()

    def main_work_horse(self, *args, **kwargs):
        # Pooled connections inherited from the parent must not be used in the child.
        with self.flask_app.app_context():
            db.engine.dispose(close=False)
        return super().main_work_horse(*args, **kwargs)
