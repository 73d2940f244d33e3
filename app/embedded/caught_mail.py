"""What the development mail catcher (app.embedded.mail_catcher) kept, read back from its
Maildir: newest first, each with its envelope recipients, subject and text and HTML parts."""
import mailbox
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime
from pathlib import Path

ENVELOPE_HEADER = "X-Envelope-To"


@dataclass(frozen=True)
class CaughtMail:
    key: str
    message: object  # email.message.EmailMessage

    @property
    def to(self):
        return self.message.get(ENVELOPE_HEADER) or self.message.get("To", "")

    @property
    def subject(self):
        return self.message.get("Subject", "")

    @property
    def message_id(self):
        return (self.message.get("Message-ID") or "").strip()

    @property
    def date(self):
        try:
            return parsedate_to_datetime(self.message.get("Date"))
        except (TypeError, ValueError):
            return None

    def part(self, subtype):
        """The text of the ``plain`` or ``html`` part, or None."""
        body = self.message.get_body(preferencelist=(subtype,))
        return body.get_content() if body is not None else None


def caught(directory, keep=None):
    """The caught messages, newest first; ``keep(mail)`` chooses which."""
    if not Path(directory, "cur").is_dir():
        return []
    box = mailbox.Maildir(str(directory), factory=None, create=False)
    found = []
    for key in box.keys():
        try:
            with box.get_file(key) as raw:
                mail = CaughtMail(key, message_from_bytes(raw.read(), policy=policy.default))
        except (KeyError, OSError):  # removed meanwhile
            continue
        if keep is None or keep(mail):
            found.append(mail)
    return sorted(found, key=lambda m: (m.date is not None, m.date, m.key), reverse=True)


def one(directory, key):
    """One caught message by its Maildir key, or None."""
    if "/" in key or key.startswith("."):
        return None
    found = caught(directory, keep=lambda mail: mail.key == key)
    return found[0] if found else None
