"""How jobs run: one app per worker process, an explicit tenant scope per job."""
import functools
import os

from werkzeug.utils import import_string

from app.extensions import db
from app.tenants.context import Scope, scoped

_app = None


def job_app():
    """The app of this process, built once (FAB permission sync stays off)."""
    global _app
    if _app is None:
        from flask import current_app, has_app_context

        if has_app_context():  # in-process runs (tests, CLI) reuse the running app
            return current_app._get_current_object()
        # By name: the app factory sits above every job module (it registers their callers).
        create_app = import_string("app:create_app")
        _app = create_app(os.environ.get("PRESAVE_CONFIG", "config.Config"),
                          FAB_UPDATE_PERMS=False)
    return _app


def tenant_job(func):
    """A job whose first argument is the label id it acts for (None: the platform)."""

    @functools.wraps(func)
    def run(label_id, *args, **kwargs):
        app = job_app()
        scope = Scope.platform(f"job:{func.__name__}") if label_id is None else Scope.label(
            label_id, actor=f"job:{func.__name__}")
        with app.app_context(), scoped(scope):
            try:
                result = func(label_id, *args, **kwargs)
                db.session.commit()
                return result
            except Exception:
                db.session.rollback()
                raise
            finally:
                db.session.remove()

    return run
