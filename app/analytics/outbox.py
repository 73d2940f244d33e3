"""Events on their way to the Redis stream: sent at once, or gathered for a moment and sent
together.

Sending is a round trip to Redis, and on a busy fan page that round trip costs a
web process more than the rest of the page. With ANALYTICS_FLUSH_MS above 0, each
web process gathers its events and a background thread sends whatever has gathered
that many milliseconds after the first, in one round trip. An event then waits in
the process's memory for at most that long: a stopping process sends what it holds
first; one killed outright (SIGKILL, out of memory) loses at most that window. With
0, every event is sent before its response is (the tests' setting).
"""
import atexit
import logging
import os
import threading
import time

EXTENSION = "analytics_outbox"
log = logging.getLogger(__name__)


class Outbox:
    def __init__(self, app, send, flush_seconds):
        self.app, self.send, self.flush_seconds = app, send, flush_seconds
        self.pid = os.getpid()  # a forked child starts its own: no thread came with it
        self._events = []
        self._ready = threading.Condition()
        self._thread = None

    def add(self, event):
        if self.flush_seconds <= 0:
            self.send([event])
            return
        with self._ready:
            self._events.append(event)
            if self._thread is None:
                self._start()
            self._ready.notify()

    def flush(self):
        """Send what has gathered, now (the thread's work; also at exit)."""
        with self._ready:
            events, self._events = self._events, []
        if events:
            with self.app.app_context():
                self.send(events)

    def _start(self):
        self._thread = threading.Thread(target=self._run, name="analytics-outbox", daemon=True)
        self._thread.start()
        atexit.register(self.flush)

    def _run(self):
        while True:
            with self._ready:
                self._ready.wait_for(lambda: self._events)
            time.sleep(self.flush_seconds)  # let the moment's other events join
            try:
                self.flush()
            except Exception:  # send() keeps events through a Redis outage; anything else
                log.exception("analytics: events dropped")  # must not stop the thread


def for_app(app, send):
    """The app's outbox in this process."""
    box = app.extensions.get(EXTENSION)
    if box is None or box.pid != os.getpid():
        flush_ms = app.config.get("ANALYTICS_FLUSH_MS", 0)
        box = app.extensions[EXTENSION] = Outbox(app, send, flush_ms / 1000)
    return box
