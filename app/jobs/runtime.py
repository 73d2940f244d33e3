"""How jobs run: one app per worker process, an explicit tenant scope per job."""
import functools
import os
from contextlib import contextmanager

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


@contextmanager
def job_context(label_id, actor, app=None):
    """What every piece of job work runs in: an app context, the label's tenant scope (None:
    the platform's) and a session of its own, removed at the end. Removing it rolls back
    whatever the work did not commit, an exception's half-done work too."""
    scope = Scope.platform(actor) if label_id is None else Scope.label(label_id, actor=actor)
    with (app or job_app()).app_context(), scoped(scope):
        try:
            yield
        finally:
            db.session.remove()


def tenant_job(func):
    """A job whose first argument is the label id it acts for (None: the platform)."""

    @functools.wraps(func)
    def run(label_id, *args, **kwargs):
        with job_context(label_id, f"job:{func.__name__}"):
            result = func(label_id, *args, **kwargs)
            db.session.commit()
            return result

    return run
