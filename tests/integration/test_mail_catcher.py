"""The development mail catcher: `python run.py` without SMTP_HOST sends real SMTP to a local
aiosmtpd server that keeps every message, and the platform admin reads them on the Outbox."""
import os
import subprocess
import sys
from pathlib import Path

from app.embedded import supervisor
from tests.message_runs import time_passes, work
from tests.release_day_runs import remind_me
from tests.smtp_server import caught_soon, free_port

ROOT = Path(__file__).resolve().parents[2]


def test_a_reset_email_is_kept_and_shown_on_the_outbox(app, mail_catcher, login):
    response = app.test_client().post("/account/forgot", data={"email": "staff@harbor.test"})
    assert response.status_code == 200
    (mail,) = caught_soon(mail_catcher)
    assert mail.subject == "Reset your Presave password"
    assert mail.to == "staff@harbor.test"
    admin = login("admin@presave.test")
    listing = admin.get("/outbox/").get_data(as_text=True)
    assert "Reset your Presave password" in listing and "staff@harbor.test" in listing
    shown = admin.get(f"/outbox/{mail.key}").get_data(as_text=True)
    assert "/account/reset/" in shown  # the plain text, link and all
    assert admin.get(f"/outbox/{mail.key}/html").status_code == 404  # no HTML part
    assert admin.get("/outbox/not-a-key").status_code == 404


def test_label_staff_read_only_what_their_label_sent(app, mail_catcher, login, active_release):
    response = app.test_client().post("/account/forgot", data={"email": "staff@harbor.test"})
    assert response.status_code == 200
    slug = active_release()
    email = remind_me(app, slug)
    time_passes(app, slug)
    work(app)
    mails = {mail.subject: mail for mail in caught_soon(mail_catcher, 2)}
    thanks = mails["You pre-saved “Flow Song” by Aurora Vale"]
    reset = mails["Reset your Presave password"]
    northwind = login("staff@northwind.test")
    listing = northwind.get("/outbox/").get_data(as_text=True)
    assert email in listing and "Reset your Presave password" not in listing
    assert northwind.get(f"/outbox/{thanks.key}").status_code == 200
    html = northwind.get(f"/outbox/{thanks.key}/html")
    assert html.status_code == 200 and "sandbox" in html.headers["Content-Security-Policy"]
    assert northwind.get(f"/outbox/{reset.key}").status_code == 404
    harbor = login("staff@harbor.test")
    assert email not in harbor.get("/outbox/").get_data(as_text=True)
    assert harbor.get(f"/outbox/{thanks.key}").status_code == 404
    assert login("artist@northwind.test").get("/outbox/").status_code in (302, 403)
    assert app.test_client().get("/outbox/").status_code == 302  # to the sign-in


def test_without_the_catcher_the_outbox_is_not_there(app, login, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_CATCHER_DIR", None)
    assert login("admin@presave.test").get("/outbox/").status_code == 404


def test_production_refuses_the_catcher(tmp_path):
    done = subprocess.run([sys.executable, "-m", "app.embedded.mail_catcher", "--port",
                           str(free_port()), "--dir", str(tmp_path)], cwd=ROOT,
                          env={**os.environ, "PRESAVE_ENV": "production"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "set SMTP_HOST to a real mail server" in done.stderr
    assert not any(tmp_path.iterdir())


def test_run_py_starts_the_catcher_only_without_a_mail_server(monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    monkeypatch.delenv("PRESAVE_ENV", raising=False)
    port = supervisor.mail_port()
    env = supervisor.child_env("redis://x", "127.0.0.1", "5000", mail=port)
    assert (env["SMTP_HOST"], env["SMTP_PORT"], env["SMTP_STARTTLS"]) == (
        "127.0.0.1", str(port), "false")
    assert env["MAIL_CATCHER_DIR"] == str(supervisor.MAIL_DIR)
    assert "mail" in supervisor.commands("redis://x", "127.0.0.1", "5000", mail=port)
    monkeypatch.setenv("SMTP_HOST", "mail.example.org")
    assert supervisor.mail_port() is None
    monkeypatch.delenv("SMTP_HOST")
    monkeypatch.setenv("PRESAVE_ENV", "production")
    assert supervisor.mail_port() is None
    assert "mail" not in supervisor.commands("redis://x", "127.0.0.1", "5000")
