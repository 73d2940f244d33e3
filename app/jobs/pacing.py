"""How fast messages go to a provider, shared by every worker.

SMTP_SEND_RATE and SMS_SEND_RATE ("14/second", "300/minute"; unset: as fast as the
connections go) are counted in Redis over a moving window (the limits library), one count per
provider (the mail server, the SMS account), so the workers sharing a blast share its rate
instead of each taking it whole. A provider's 429 with Retry-After pauses its channel for
every worker (app.jobs.throttle's shared pause) until then.

send(outbox, messages, deadline, config) sends a batch's messages in turns: each channel takes
as many sends as its rate has room for, waits for the window to move, and so on. A message
whose turn would come after the batch's deadline is not sent: its answer is OutOfTurn, with
the seconds until the provider has room again, and the row waits until then without counting
an attempt.
"""
import hashlib
import time

from limits import parse
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from app.extensions import redis_connection
from app.jobs import throttle
from app.messaging import MessagingError, NotConfigured, Unavailable
from app.messaging.sms import provider_path
from app.models.message import EMAIL, SMS

SETTINGS = {EMAIL: "SMTP_SEND_RATE", SMS: "SMS_SEND_RATE"}
# Sends taken at a time: the emails of a turn go together over the pool's connections; texts
# go one at a time, so a 429 stops the next one (None: as many as the rate has room for).
TURN = {EMAIL: None, SMS: 1}
KEY_PREFIX = "presave:send-rate"
SHORTEST_WAIT = 0.02  # seconds between two looks at a full window


class OutOfTurn(MessagingError):
    """Not sent: the provider's rate had no room before the batch's deadline; ``wait``: the
    seconds until it has room again."""

    def __init__(self, text, wait):
        super().__init__(text)
        self.wait = wait


class Pace:
    """One provider's shared rate (``rate``: a limits item, or None for no limit) and pause."""

    def __init__(self, provider, setting, rate):
        self.setting, self.rate = setting, rate
        self.provider = hashlib.sha256(provider.encode()).hexdigest()[:16]
        self.pause_key = f"{KEY_PREFIX}:pause:{self.provider}"
        self.limiter = None
        if rate is not None:
            storage = RedisStorage("redis://", key_prefix=KEY_PREFIX,
                                   connection_pool=redis_connection().connection_pool)
            self.limiter = MovingWindowRateLimiter(storage)

    @classmethod
    def of(cls, config, channel):
        """The pace of the channel's provider as configured; NotConfigured for a rate that does
        not read as one."""
        setting = SETTINGS[channel]
        value = (config.get(setting) or "").strip()
        try:
            rate = parse(value) if value else None
        except ValueError:
            raise NotConfigured(f"not sent: {setting} is {value!r}, not a rate such as "
                                "10/second or 600/minute") from None
        if channel == EMAIL:
            provider = f"smtp:{config.get('SMTP_HOST')}:{config.get('SMTP_PORT')}"
        else:
            provider = f"sms:{provider_path(config)}:{config.get('SMS_ACCOUNT_SID') or ''}"
        return cls(provider, setting, rate)

    def take(self, wanted, deadline):
        """How many of ``wanted`` sends may go now (at least one), waiting for room as long
        as the batch's ``deadline`` (time.monotonic()) allows; OutOfTurn when it does not."""
        while True:
            room_at = throttle.resume_at(self.pause_key)
            if room_at is None and self.limiter is None:
                return wanted
            if room_at is None:
                stats = self.limiter.get_window_stats(self.rate, self.provider)
                n = min(wanted, stats.remaining)
                if n > 0 and self.limiter.hit(self.rate, self.provider, cost=n):
                    return n
                room_at = max(stats.reset_time, time.time() + SHORTEST_WAIT)
            wait = room_at - time.time()
            if time.monotonic() + wait > deadline:
                raise OutOfTurn(self._waiting(), wait)
            time.sleep(max(wait, SHORTEST_WAIT))

    def pause(self, seconds):
        """Every worker holds this provider's sends for ``seconds`` (its Retry-After)."""
        return throttle.pause(self.pause_key, seconds)

    def _waiting(self):
        if self.rate is None:
            return "waiting: the provider asked to slow down (429), every worker waits"
        return f"waiting its turn: {self.setting} allows {self.rate.amount} per " \
               f"{self.rate.GRANULARITY.name}"


def send(outbox, messages, deadline, config):
    """[provider id | MessagingError] for each message, in order, sent in the turns each
    channel's pace allows."""
    answers = [None] * len(messages)
    for channel in SETTINGS:
        waiting = [i for i, m in enumerate(messages) if m.channel == channel]
        if not waiting:
            continue
        try:
            pace = Pace.of(config, channel)
        except NotConfigured as exc:
            for i in waiting:
                answers[i] = exc
            continue
        _send_channel(outbox, messages, waiting, answers, pace, deadline, TURN[channel])
    return answers


def _send_channel(outbox, messages, waiting, answers, pace, deadline, turn):
    while waiting:
        try:
            n = pace.take(min(len(waiting), turn) if turn else len(waiting), deadline)
        except OutOfTurn as exc:
            for i in waiting:
                answers[i] = exc
            return
        now, waiting = waiting[:n], waiting[n:]
        for i, answer in zip(now, outbox.send_many([messages[i] for i in now])):
            answers[i] = answer
            retry_after = getattr(answer, "retry_after", None)
            if isinstance(answer, Unavailable) and retry_after is not None:
                pace.pause(retry_after)
