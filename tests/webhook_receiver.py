"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 that keeps every request and
answers each with the next status of a script (200 once the script runs out), and the Standard
Webhooks signature check written from the convention, not from the library the app signs with."""
import base64
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


class Receiver:
    def __init__(self):
        self.requests, self.script = [], []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("content-length", 0))
                receiver.requests.append(Received(self.path, {k.lower(): v for k, v in
                                                              self.headers.items()},
                                                  self.rfile.read(length)))
                status = receiver.script.pop(0) if receiver.script else 200
                answer = json.dumps({"ok": status < 300, "status": status}).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_port}/hooks/presave"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.stop()


def signature_ok(secret, received):
    """Standard Webhooks: base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>")) as "v1,<sig>",
    the key being the base64 after "whsec_"."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = (f'{received.headers["webhook-id"]}.{received.headers["webhook-timestamp"]}.'
              .encode() + received.body)
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(f"v1,{expected}", given)
               for given in received.headers["webhook-signature"].split(" "))
