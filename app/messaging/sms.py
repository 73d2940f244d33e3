"""SMS through a provider behind one small interface: a Twilio-compatible REST API
(app.messaging.twilio, with SMS_ACCOUNT_SID), or the log-only stand-in.

A provider (a Twilio-like API, say) subclasses SmsProvider: ``send(to, text)`` sends one
message to an E.164 number and returns the provider's message id, raising
app.messaging.Unavailable for what may pass (timeouts, 5xx, rate limits), Refused for a
number it will never reach, NotConfigured for missing or rejected credentials. It is built
with the app config, from which it reads its own settings, and named by SMS_PROVIDER
("package.module:ClassName"). Unset: the Twilio-compatible client when SMS_ACCOUNT_SID is set
or the sandbox is on (its stand-in then), else the log-only one.
"""
import logging
import uuid
from abc import ABC, abstractmethod

from werkzeug.utils import import_string

from app.messaging import NotConfigured

log = logging.getLogger(__name__)

DEFAULT_PROVIDER = "app.messaging.sms:LogOnlySms"
TWILIO = "app.messaging.twilio:TwilioSms"


class SmsProvider(ABC):
    def __init__(self, config):
        self.config = config

    @abstractmethod
    def send(self, to, text):
        """Send ``text`` to the E.164 number ``to``; the provider's message id."""

    def close(self):
        """Let go of connections (the end of a batch)."""


class LogOnlySms(SmsProvider):
    """Development stand-in: logs that a message would go out, with nothing that identifies
    the fan or repeats the text (an id, the length, the number's country code)."""

    def send(self, to, text):
        message_id = f"log-{uuid.uuid4().hex[:12]}"
        log.info("SMS %s not sent (log-only provider): %d characters to a %s number",
                 message_id, len(text), _country_code(to))
        return message_id


def provider_path(config):
    """The provider's "module:Class" as configured, or as chosen when unset."""
    if config.get("SMS_PROVIDER"):
        return config["SMS_PROVIDER"]
    return TWILIO if config.get("SMS_ACCOUNT_SID") or config.get("SANDBOX_ENABLED") \
        else DEFAULT_PROVIDER


def reaches_fans(config):
    """Whether texts leave for real: a provider of our own choosing, not the log or the
    sandbox's stand-in."""
    path = provider_path(config)
    return path != DEFAULT_PROVIDER and not (path == TWILIO and not config.get("SMS_ACCOUNT_SID"))


def provider(config):
    """The configured provider; the log-only one is refused in production, so a fan's reminder
    never counts as sent when no provider is set up there."""
    path = provider_path(config)
    if path == DEFAULT_PROVIDER and config.get("PRESAVE_ENV") == "production":
        raise NotConfigured("not sent: SMS is not set up (SMS_PROVIDER)")
    return import_string(path)(config)


def _country_code(number):
    import phonenumbers

    try:
        return f"+{phonenumbers.parse(number).country_code}"
    except phonenumbers.NumberParseException:
        return "non-E.164"
