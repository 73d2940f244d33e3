"""deploy/Caddyfile run by a real Caddy on free loopback ports with its internal CA, and curl
reaching any hostname through it (--resolve), as a fan's browser would once DNS points here."""
import shutil
import socket
import ssl
import subprocess
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.custom_domains import add_domain
from tests.own_label import make_label, new_release

ROOT = Path(__file__).resolve().parents[1]
CADDYFILE = ROOT / "deploy" / "Caddyfile"
INSTANCE_HOST = "presave.test"  # PUBLIC_BASE_URL's host while Caddy is in front


@contextmanager
def caddy_before(app, live_server, home):
    """A Caddy (its files in ``home``) in front of the live server, PUBLIC_BASE_URL naming the
    instance's host behind it; page setups made with another base URL are forgotten."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(app.config, "PUBLIC_BASE_URL", f"https://{INSTANCE_HOST}")
        _forget_setups(app)
        front = Caddy(home, int(live_server.rsplit(":", 1)[1]), INSTANCE_HOST).start()
        try:
            yield front
        finally:
            front.stop()
    _forget_setups(app)


@pytest.fixture(scope="module")
def caddy(app, live_server, tmp_path_factory):
    """A test module's Caddy in front of the live server (import it with labels)."""
    with caddy_before(app, live_server, tmp_path_factory.mktemp("caddy")) as front:
        yield front


@pytest.fixture(scope="module")
def labels(app, caddy):
    return labels_with_domains(app)


def _forget_setups(app):
    from app.views.public.setup import forget_setups

    with app.app_context():
        forget_setups()


def labels_with_domains(app):
    """North and South, each with an artist, an open release and an active domain:
    {name: {label_id, artist, release_id, page (the domain's path), host}}."""
    made = {}
    for name in ("North", "South"):
        label_id, artist = make_label(app, name, f"{name} Artist")
        release_id, page = new_release(app, artist)
        host, _ = add_domain(app, label_id, f"music-{uuid.uuid4().hex[:8]}.{name.lower()}.test")
        made[name] = dict(label_id=label_id, artist=artist, release_id=release_id,
                          page=page.removeprefix("/s"), host=host)
    return made


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: dict  # lower-case names; the last value of each
    body: bytes

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


class Caddy:
    def __init__(self, home, app_port, instance_host):
        self.home, self.app_port, self.instance_host = Path(home), app_port, instance_host
        self.http_port, self.https_port = free_port(), free_port()
        self.log = self.home / "caddy.log"
        self.root_ca = self.home / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        self.process = None

    def start(self):
        caddy = shutil.which("caddy")
        if caddy is None:
            pytest.fail("Caddy is not installed: run `make dev-setup` (it installs Debian's caddy)")
        env = {"PATH": "/usr/bin:/bin", "HOME": str(self.home),
               "XDG_DATA_HOME": str(self.home / "data"),
               "XDG_CONFIG_HOME": str(self.home / "config"),
               "PRESAVE_HOST": self.instance_host, "PRESAVE_PORT": str(self.app_port),
               "PRESAVE_CERTS": "internal", "ACME_EMAIL": "ops@presave.test",
               "CADDY_BIND": "127.0.0.1", "CADDY_ADMIN": "off",
               "CADDY_HTTP_PORT": str(self.http_port), "CADDY_HTTPS_PORT": str(self.https_port)}
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [caddy, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
                cwd=self.home, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not (self.root_ca.exists() and self._accepts(self.http_port)
                   and self._accepts(self.https_port)):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"Caddy did not start:\n{self.log_tail()}")
            time.sleep(0.05)
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_tail(self, chars=4000):
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    @staticmethod
    def _accepts(port):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def get(self, host, path, scheme="https", headers=()):
        """GET scheme://host<path> through Caddy, trusting only its local root CA. A failed TLS
        handshake raises ssl.SSLError, as the fan's browser would refuse the page."""
        port = self.https_port if scheme == "https" else self.http_port
        argv = ["curl", "-sS", "--max-time", "20", "--resolve", f"{host}:{port}:127.0.0.1",
                "--cacert", str(self.root_ca), "-D", "-", "-o", "-"]
        for header in headers:
            argv += ["-H", header]
        done = subprocess.run([*argv, f"{scheme}://{host}:{port}{path}"], capture_output=True)
        if done.returncode == 35:  # curl: SSL connect error
            raise ssl.SSLError(done.stderr.decode(errors="replace"))
        assert done.returncode == 0, (done.stderr.decode(errors="replace"), self.log_tail())
        head, _, body = done.stdout.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        fields = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
        return Answer(int(lines[0].split()[1]),
                      {name.strip().lower(): value.strip() for name, value in fields.items()},
                      body)

    def certificate(self, host):
        """The certificate Caddy presents for ``host`` (SNI), verified against its local root."""
        context = ssl.create_default_context(cafile=str(self.root_ca))
        with socket.create_connection(("127.0.0.1", self.https_port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                return tls.getpeercert()
