"""A real SMTP server (aiosmtpd) on a free 127.0.0.1 port, keeping what it receives."""
import shutil
import socket
import subprocess
import time
from pathlib import Path
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from app.embedded import caught_mail
from app.embedded.supervisor import commands

ROOT = Path(__file__).resolve().parents[1]


class Inbox:
    """The aiosmtpd handler: every message received, parsed, with its envelope recipients.
    ``refuse[address] = "550 5.1.1 …"`` answers that address's RCPT so (a bounce, a deferral)."""

    def __init__(self):
        self.messages, self.refuse = [], {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 Message accepted"

    def to(self, address):
        return [message for rcpt, message in self.messages if address in rcpt]


class Login:
    """Accepts one user and password (plain text over the loopback: tests only)."""

    def __init__(self, user, password):
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) == (self.user, self.password)
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(app, monkeypatch):
    """start(login=None) -> Inbox of a server the app's SMTP settings now point at."""
    controllers = []

    def start(login=None):
        inbox, port = Inbox(), free_port()
        options = {"authenticator": login, "auth_require_tls": False} if login else {}
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_STARTTLS": False,
                           "MAIL_FROM": "Presave <presave@presave.test>"}.items():
            monkeypatch.setitem(app.config, key, value)
        return inbox

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def mail_catcher(app, monkeypatch):
    """A catcher process started as run.py starts it, keeping into the app's outbox folder;
    the app's SMTP settings point at it."""
    directory, port = app.config["MAIL_CATCHER_DIR"], free_port()
    shutil.rmtree(directory, ignore_errors=True)
    argv = commands("redis://unused", "127.0.0.1", "0", mail=port)["mail"]
    process = subprocess.Popen([*argv[:-1], directory], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:  # a catcher that does not start is stopped all the same
        assert "Mail catcher on" in process.stdout.readline()
        for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port,
                           "SMTP_STARTTLS": False}.items():
            monkeypatch.setitem(app.config, key, value)
        yield directory
    finally:
        process.terminate()
        process.wait(timeout=10)


def caught_soon(directory, count=1):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        mails = caught_mail.caught(directory)
        if len(mails) >= count:
            return mails
        time.sleep(0.05)
    raise AssertionError("the catcher kept nothing")
