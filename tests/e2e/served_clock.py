"""The session app served with a clock the test moves: every request it answers runs under
app.localtime.frozen(clock.at), as if the server's time were ``at`` (None: real time)."""
import threading

import pytest
from werkzeug.serving import make_server

from app.localtime import frozen


class ServedClock:
    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.at = None

    def __call__(self, environ, start_response):
        if self.at is None:
            return self.wsgi_app(environ, start_response)
        with frozen(self.at):  # the body too: it is read inside the block
            result = self.wsgi_app(environ, start_response)
            try:
                return list(result)
            finally:
                getattr(result, "close", lambda: None)()


@pytest.fixture(scope="module")
def clock_server(app):
    """(base URL, ServedClock) of the app served on a free local port with a movable clock."""
    clock = ServedClock(app)
    server = make_server("127.0.0.1", 0, clock, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", clock
    server.shutdown()
    thread.join(timeout=5)
