"""A test's SMS provider: keeps what it was asked to send (a stand-in for a gateway)."""
from app.messaging.sms import SmsProvider

PATH = "tests.sms_gateway:RecordingSms"


class RecordingSms(SmsProvider):
    sent = []

    def send(self, to, text):
        self.sent.append((to, text))
        return f"rec-{len(self.sent)}"
