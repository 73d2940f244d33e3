"""The development mail catcher: a real SMTP server (aiosmtpd) that keeps what it is given.

`python run.py` starts it when SMTP_HOST is unset and points every process's SMTP settings at
it, so a default install's messages really leave through SMTP and can be read on the admin's
"Outbox (development)" page instead of vanishing. Nothing is passed on: each message lands in
a Maildir under the instance folder, with the envelope's recipients in an X-Envelope-To
header (app.embedded.caught_mail reads them back). Production refuses to start it.

    python -m app.embedded.mail_catcher --port 1025 --dir instance/outbox
"""
import argparse
import mailbox
import os
import signal
import threading

from app.embedded.caught_mail import ENVELOPE_HEADER


class Catcher:
    """The aiosmtpd handler: every message into the Maildir at ``directory``."""

    def __init__(self, directory):
        self.box = mailbox.Maildir(str(directory), create=True)

    async def handle_DATA(self, server, session, envelope):
        to = ", ".join(envelope.rcpt_tos)
        self.box.add(f"{ENVELOPE_HEADER}: {to}\r\n".encode() + envelope.original_content)
        return "250 Kept in the development outbox"


def serve(host, port, directory):
    """Start the server in its own thread; the aiosmtpd Controller (``.stop()`` ends it)."""
    from aiosmtpd.controller import Controller

    controller = Controller(Catcher(directory), hostname=host, port=int(port))
    controller.start()
    return controller


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", required=True, help="the Maildir to keep messages in")
    args = parser.parse_args(argv)
    if os.environ.get("PRESAVE_ENV") == "production":
        parser.exit(2, "The mail catcher is for development: in production set SMTP_HOST to "
                       "a real mail server.\n")
    controller = serve(args.host, args.port, args.dir)
    print(f"Mail catcher on {args.host}:{args.port}, keeping messages in {args.dir}",
          flush=True)
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()
