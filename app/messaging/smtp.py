"""Email over SMTP from the SMTP_* settings; one connection for a batch of messages.

The password lives only in SmtpSettings (hidden from its repr) and in smtplib's login
call; reasons and log lines name the host, never the credentials.
"""
import smtplib
import ssl
from dataclasses import dataclass, field
from email.header import Header
from email.policy import compat32
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid

from app.messaging import Bounced, NotConfigured, Unavailable

TIMEOUT = 20  # seconds per SMTP command
# Long header lines (an unsubscribe link) stay whole, up to RFC 5322's 998 characters.
HEADERS_UNFOLDED = compat32.clone(max_line_length=998)
ON_THE_WIRE = HEADERS_UNFOLDED.clone(linesep="\r\n")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    starttls: bool
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_config(cls, config):
        if not config.get("SMTP_HOST"):
            raise NotConfigured("not sent: email is not set up (SMTP_HOST is empty)")
        return cls(config["SMTP_HOST"], int(config["SMTP_PORT"]), config["MAIL_FROM"],
                   bool(config["SMTP_STARTTLS"]), config.get("SMTP_USER") or None,
                   config.get("SMTP_PASSWORD") or None)


class Mailer:
    """``send(message)`` for each message; connects on the first, closes on exit."""

    def __init__(self, settings):
        self.settings, self.smtp = settings, None

    def send(self, message):
        """Send one message; its Message-ID."""
        email = build_email(self.settings.sender, message)
        try:
            self._connection().send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            raise refused(exc.recipients) from None
        except smtplib.SMTPAuthenticationError:
            self.close()
            raise NotConfigured(f"not sent: {self.settings.host} refused the login "
                                "(check SMTP_USER and SMTP_PASSWORD)") from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise Unavailable(f"mail server {self.settings.host} failed: "
                              f"{type(exc).__name__}") from None
        return email["Message-ID"]

    def _connection(self):
        if self.smtp is None:
            s = self.settings
            smtp = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT)
            try:
                if s.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.user:
                    smtp.login(s.user, s.password or "")
            except BaseException:
                smtp.close()
                raise
            self.smtp = smtp
        return self.smtp

    def close(self):
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def refused(answers):
    """What smtplib's refused RCPT means (see refusal)."""
    code, text = next(iter(answers.values()), (550, b""))
    return refusal(code, text.decode(errors="replace") if isinstance(text, bytes) else text)


def refusal(code, text):
    """A refused RCPT: for good (5xx, a hard bounce: the address is suppressed) or for now."""
    said = f"{code} {text}".strip()
    if 400 <= code < 500:
        return Unavailable(f"the mail server deferred the address: {said}")
    return Bounced(f"bounced: the mail server refused the address ({said})")


def build_email(sender, message):
    """The message as MIME (a plain-text part, and an HTML one beside it when there is one).
    Built with the compat32 classes: a batch builds thousands, and these are a few times
    faster than EmailMessage's header registry."""
    text = MIMEText(message.text, "plain", "utf-8", policy=HEADERS_UNFOLDED)
    if message.html:
        email = MIMEMultipart("alternative", policy=HEADERS_UNFOLDED)
        email.attach(text)
        email.attach(MIMEText(message.html, "html", "utf-8", policy=HEADERS_UNFOLDED))
    else:
        email = text
    email["From"], email["To"] = sender, message.to
    email["Subject"] = Header(message.subject, "utf-8")
    email["Date"], email["Message-ID"] = formatdate(), make_msgid(domain=_domain(sender))
    if message.unsubscribe_url:
        email["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        if message.one_click:
            email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return email


def wire(email):
    """The email as it goes over SMTP: CRLF line ends, long header lines whole."""
    return email.as_bytes(policy=ON_THE_WIRE)


def _domain(sender):
    return sender.rsplit("@", 1)[-1].strip("> ") or "localhost"
