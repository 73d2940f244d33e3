"""Messages to fans and people: what they say and how they go out.

- reminder.py: the outgoing message's shape, the fan's own page, withdrawn consents.
- automations.py: the messages tied to a release's stages, their defaults, who may get them.
- templates.py: staff's words with {merge_fields} (Jinja's sandbox), HTML of them, SMS sizes.
- suppression.py, unsubscribe.py: the artist's list of addresses never written to again, and
  the one-click unsubscribe link every message carries.
- smtp.py: SMTP from the SMTP_* settings, one connection per batch.
- sms.py: the SMS provider interface and its log-only default.
- outbox.py: one batch's sender over both channels.

Every failure is one of the errors below, with a reason a person can read in the ledger;
app.jobs.messages turns them into ledger outcomes. Secrets (SMTP_PASSWORD, a provider's
token) are never part of a reason or a log line.
"""


class MessagingError(Exception):
    """A message was not sent; ``str()`` is the plain reason for the ledger."""


class NotConfigured(MessagingError):
    """The channel is not set up (or refuses our login): nothing was sent; try later."""


class Refused(MessagingError):
    """This message cannot go out (no contact, an address the server refuses): give up."""


class Bounced(Refused):
    """The receiving server refused the address for good (a 5xx answer to RCPT): give up and
    never write to it again."""


class Unavailable(MessagingError):
    """The server or provider did not answer or failed for now: retry with back-off;
    ``retry_after``: the seconds it asked every sender to wait (a 429's Retry-After), if it
    said."""

    def __init__(self, text, retry_after=None):
        super().__init__(text)
        self.retry_after = retry_after

