"""One batch's sender: email over one SMTP connection, SMS through the provider, each set up
on first use (a missing setting only stops the messages of its own channel)."""
from app.messaging.reminder import EMAIL
from app.messaging import sms
from app.messaging.smtp import Mailer, SmtpSettings


class Outbox:
    def __init__(self, config):
        self.config, self.mailer, self.sms = config, None, None

    def send(self, message):
        if message.channel == EMAIL:
            return self._mailer().send(message)
        return self._sms().send(message.to, message.text)

    def _mailer(self):
        if self.mailer is None:
            self.mailer = Mailer(SmtpSettings.from_config(self.config))
        return self.mailer

    def _sms(self):
        if self.sms is None:
            self.sms = sms.provider(self.config)
        return self.sms

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.mailer is not None:
            self.mailer.close()
        if self.sms is not None:
            self.sms.close()
