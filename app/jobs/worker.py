"""The RQ worker class: builds the app before forking, never shares a DB pool across a fork."""
from rq import Worker

from app.extensions import db
from app.jobs.runtime import job_app


class PresaveWorker(Worker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.flask_app = job_app()

    def main_work_horse(self, *args, **kwargs):
        # Pooled connections inherited from the parent must not be used in the child.
        with self.flask_app.app_context():
            db.engine.dispose(close=False)
        return super().main_work_horse(*args, **kwargs)
