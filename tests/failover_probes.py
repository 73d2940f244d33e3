"""What the failover test watches while the Redis master dies: the web answering (a fan page and
/health, every 50 ms) and the acknowledged writes to a stream (as the analytics capture writes
its events), each in a thread of its own."""
import threading
import time
import urllib.error
import urllib.request

from redis.exceptions import RedisError

PROBE_STREAM = "{analytics}:failover-probe"


class WebProbe(threading.Thread):
    """GET each path every ``every`` seconds; answers as (monotonic time it came, path, status),
    where a connection that failed counts as status 0."""

    def __init__(self, base_url, paths, every=0.05):
        super().__init__(daemon=True)
        self.base_url, self.paths, self.every = base_url, paths, every
        self.answers, self.halt = [], threading.Event()

    def run(self):
        while not self.halt.is_set():
            for path in self.paths:
                status = _status(self.base_url + path)
                self.answers.append((time.monotonic(), path, status))
            self.halt.wait(self.every)

    def stop(self):
        self.halt.set()
        self.join(timeout=30)

    def refused_window(self, since):
        """(seconds from ``since`` to the first answer other than 200, length of the span from
        it to the last one, how many) among the answers after ``since``; None when every one
        was 200."""
        bad = [at for at, _, status in self.answers if at >= since and status != 200]
        if not bad:
            return None
        return bad[0] - since, bad[-1] - bad[0], len(bad)


def _status(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


class StreamWriter(threading.Thread):
    """XADD one small entry at a time to PROBE_STREAM through ``conn`` until told to stop or
    Redis refuses; the ids Redis acknowledged, with the time of each."""

    def __init__(self, conn):
        super().__init__(daemon=True)
        self.conn, self.acknowledged, self.halt = conn, [], threading.Event()
        self.refused_at = None

    def run(self):
        n = 0
        while not self.halt.is_set():
            try:
                entry_id = self.conn.xadd(PROBE_STREAM, {"n": n, "kind": "page_view"})
            except RedisError:
                self.refused_at = time.monotonic()
                return
            self.acknowledged.append((time.monotonic(), entry_id))
            n += 1

    def lost(self, conn):
        """The acknowledged entries ``conn`` (the new master) does not have: [(time, id)]."""
        kept = {entry_id for entry_id, _ in conn.xrange(PROBE_STREAM)}
        return [(at, entry_id) for at, entry_id in self.acknowledged if entry_id not in kept]
