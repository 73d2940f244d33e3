"""The outbox (app.analytics.outbox): with ANALYTICS_FLUSH_MS set, a web process gathers its
events and sends them together, soon after; a process that stops sends what it holds."""
import json
import os
import subprocess
import sys
import time

import pytest

from app.analytics import capture, outbox
from app.extensions import redis_connection
from config import BASE_DIR
from tests.stream_pages import NOWHERE, visitor

LONG_MS = 600_000  # no thread sends within a test: what arrives was sent otherwise


@pytest.fixture
def gathering(app, monkeypatch):
    """Sets the app's flush window: a new outbox takes it; afterwards the tests' one is back."""
    def _set(flush_ms):
        monkeypatch.setitem(app.config, "ANALYTICS_FLUSH_MS", flush_ms)
        app.extensions.pop(outbox.EXTENSION, None)
    yield _set
    app.extensions.pop(outbox.EXTENSION, None)


def page_views(app, release_id):
    with app.app_context():
        entries = redis_connection().xrange(capture.STREAM)
    return [e for e in (json.loads(fields[b"e"]) for _, fields in entries)
            if e["kind"] == "page_view" and e["release_id"] == release_id]


def view(app, path, times):
    for _ in range(times):
        assert app.test_client(use_cookies=False).get(path, **visitor(NOWHERE)).status_code == 200


def test_events_wait_for_the_flush_then_arrive_all_together(app, make_release, gathering):
    path, release_id, _ = make_release()
    gathering(LONG_MS)
    view(app, path, 4)
    assert page_views(app, release_id) == []  # gathered in this process
    outbox.for_app(app, capture.send).flush()
    assert len(page_views(app, release_id)) == 4


def test_the_background_thread_sends_them_within_the_window(app, make_release, gathering):
    path, release_id, _ = make_release()
    gathering(50)
    view(app, path, 5)
    deadline = time.monotonic() + 30
    while len(page_views(app, release_id)) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(page_views(app, release_id)) == 5


def test_a_process_that_stops_sends_what_it_gathered(app, make_release):
    path, release_id, _ = make_release()
    script = (
        "import sys\n"
        "from app import create_app\n"
        "app = create_app('config.TestConfig', REDIS_URL=sys.argv[1], ANALYTICS_FLUSH_MS=%d)\n"
        "client = app.test_client()\n"
        "for _ in range(3):\n"
        "    assert client.get(sys.argv[2], environ_base={'REMOTE_ADDR': '127.0.0.1'},\n"
        "                      headers={'User-Agent': 'Mozilla/5.0 (iPhone) Safari/604.1'}"
        ").status_code == 200\n" % LONG_MS)
    environment = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}
    subprocess.run([sys.executable, "-c", script, app.config["REDIS_URL"], path],
                   cwd=BASE_DIR, env=environment, check=True, timeout=120)
    assert len(page_views(app, release_id)) == 3
