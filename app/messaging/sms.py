"""SMS through a provider behind one small interface; the default only logs.

A provider (a Twilio-like API, say) subclasses SmsProvider: ``send(to, text)`` sends one
message to an E.164 number and returns the provider's message id, raising
app.messaging.Unavailable for what may pass (timeouts, 5xx, rate limits), Refused for a
number it will never reach, NotConfigured for missing or rejected credentials. It is built
with the app config, from which it reads its own settings, and named by SMS_PROVIDER
("package.module:ClassName").
"""
import logging
import uuid
from abc import ABC, abstractmethod

from werkzeug.utils import import_string

from app.messaging import NotConfigured

log = logging.getLogger(__name__)

DEFAULT_PROVIDER = "app.messaging.sms:LogOnlySms"


class SmsProvider(ABC):
    def __init__(self, config):
        self.config = config

    @abstractmethod
    def send(self, to, text):
        """Send ``text`` to the E.164 number ``to``; the provider's message id."""


class LogOnlySms(SmsProvider):
    """Development stand-in: logs that a message would go out, with nothing that identifies
    the fan or repeats the text (an id, the length, the number's country code)."""

    def send(self, to, text):
        message_id = f"log-{uuid.uuid4().hex[:12]}"
        log.info("SMS %s not sent (log-only provider): %d characters to a %s number",
                 message_id, len(text), _country_code(to))
        return message_id


def provider(config):
    """The configured provider; the log-only one is refused in production, so a fan's reminder
    never counts as sent when no provider is set up there."""
    path = config.get("SMS_PROVIDER") or DEFAULT_PROVIDER
    if path == DEFAULT_PROVIDER and config.get("PRESAVE_ENV") == "production":
        raise NotConfigured("not sent: SMS is not set up (SMS_PROVIDER)")
    return import_string(path)(config)


def _country_code(number):
    import phonenumbers

    try:
        return f"+{phonenumbers.parse(number).country_code}"
    except phonenumbers.NumberParseException:
        return "non-E.164"
