"""One batch's sender: email over SMTP, SMS through the provider, each set up on first use (a
missing setting only stops the messages of its own channel). ``send`` sends one message over
one connection (account emails, a test); ``send_many`` sends a batch's at once, the emails
over a pool of SMTP_CONCURRENCY connections (app.messaging.mailpool)."""
from app.messaging import MessagingError, NotConfigured, sms
from app.messaging.mailpool import MailPool
from app.messaging.reminder import EMAIL
from app.messaging.smtp import Mailer, SmtpSettings, build_email


class Outbox:
    def __init__(self, config):
        self.config, self.mailer, self.sms, self.pool = config, None, None, None

    def send(self, message):
        if message.channel == EMAIL:
            return self._mailer().send(message)
        return self._sms().send(message.to, message.text)

    def send_many(self, messages):
        """[provider id | MessagingError] for each message, in order."""
        answers = [None] * len(messages)
        emails = [i for i, m in enumerate(messages) if m.channel == EMAIL]
        if emails:
            try:
                pool = self._pool()
            except NotConfigured as exc:
                sent = [exc] * len(emails)
            else:
                sent = pool.send([build_email(pool.settings.sender, messages[i])
                                  for i in emails])
            for i, answer in zip(emails, sent):
                answers[i] = answer
        for i, message in enumerate(messages):
            if message.channel != EMAIL:
                try:
                    answers[i] = self.send(message)
                except MessagingError as exc:
                    answers[i] = exc
        return answers

    def _pool(self):
        if self.pool is None:
            self.pool = MailPool(SmtpSettings.from_config(self.config),
                                 self.config.get("SMTP_CONCURRENCY") or 8)
        return self.pool

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
        if self.pool is not None:
            self.pool.close()
        if self.sms is not None:
            self.sms.close()
