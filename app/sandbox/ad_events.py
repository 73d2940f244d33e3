"""What the stand-ins for the ad platforms' conversion APIs (meta.py, tiktok.py) share: the
events they accepted, kept once per event name and event_id for 48 hours as both services
deduplicate, how many events a request may carry (1 to 1,000) and the window of event times
both take (the last 7 days, not the future)."""
import json

from app.extensions import redis_connection
from app.integrations.conversions import MAX_EVENTS
from app.integrations.hashing import is_sha256
from app.localtime import now_utc
from app.sandbox.base import state_key

DEDUP_SECONDS = 48 * 3600
MAX_AGE = 7 * 86400
MAX_AHEAD = 3600 + 60  # an hour, and a minute for clocks that disagree a little


class Invalid(Exception):
    """A request the service refuses as a whole: the message, and the service's own error
    fields (for Meta: code, subcode, title, user_msg)."""

    def __init__(self, message, **fields):
        super().__init__(message)
        self.fields = fields


class Events:
    """The events one stand-in accepted, in Redis under the service's sandbox prefix (so
    state.reset() forgets them), each with the pixel it was sent to."""

    def __init__(self, service, pixel_field, name_field):
        self.key = state_key(service)
        self.pixel_field, self.name_field = pixel_field, name_field

    def keep(self, pixel, events, **about):
        """Store a request's checked events with ``about`` it (its test_event_code...), but
        not one whose name and event_id the pixel received within 48 hours."""
        identified = [event for event in events if event.get("event_id")]
        pipe = redis_connection().pipeline()
        for event in identified:
            pipe.set(f"{self.key}seen:{pixel}:{event[self.name_field]}:{event['event_id']}", 1,
                     nx=True, ex=DEDUP_SECONDS)
        first_times = iter(pipe.execute())  # one per identified event, in order
        fresh = [event for event in events if not event.get("event_id") or next(first_times)]
        if fresh:
            redis_connection().rpush(self.key + "events", *(
                json.dumps({self.pixel_field: pixel, **about, "event": event}) for event in fresh))
        redis_connection().hincrby(self.key + "deduplicated", pixel, len(events) - len(fresh))

    def received(self, pixel=None):
        """Every event kept, oldest first (sent to one pixel, when given), as
        {<pixel field>, <about>..., "event": the event as sent}."""
        kept = (json.loads(raw) for raw in redis_connection().lrange(self.key + "events", 0, -1))
        return [entry for entry in kept if pixel is None or entry[self.pixel_field] == pixel]

    def deduplicated(self, pixel):
        """How many events sent to the pixel were dropped as duplicates."""
        return int(redis_connection().hget(self.key + "deduplicated", pixel) or 0)


def checked_events(data, check, none, too_many):
    """The request's events, each passed to ``check(index, event)`` (one that is not an object
    as {}); both services refuse a request whole for no events (``none``, in its own words) or
    over MAX_EVENTS (``too_many``)."""
    if not isinstance(data, list) or not data:
        raise Invalid(none)
    if len(data) > MAX_EVENTS:
        raise Invalid(too_many)
    for index, event in enumerate(data):
        check(index, event if isinstance(event, dict) else {})
    return data


def out_of_range(event_time):
    """"past" for a unix time over 7 days ago, "future" for one over an hour ahead, else
    None."""
    now = now_utc().timestamp()
    if event_time < now - MAX_AGE:
        return "past"
    if event_time > now + MAX_AHEAD:
        return "future"
    return None


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def hashed(value):
    """Whether a field holds SHA-256 hex only: one value or a non-empty list of them."""
    values = value if isinstance(value, list) else [value]
    return bool(values) and all(is_sha256(v) for v in values)
