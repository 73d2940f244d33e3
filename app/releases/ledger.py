"""The delivery ledger as staff read it: counts, a filtered per-fan list, plain-word reasons.

The release-day engine records short codes in PreSave.last_error
(app.jobs.release_day, app.jobs.items, app.jobs.outcomes, the fan's disconnect);
REASONS turns each into a sentence, in this one place. Fan names and emails
are for label staff only: ``sees_fans()`` is False for Artist users.
"""
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select

from app.releases import rules as release_rules
from app.extensions import db
from app.localtime import now_utc
from app.models import Fan, PreSave
from app.models.presave import CANCELLED, DELIVERED, FAILED, IN_PROGRESS, PENDING, REMIND, SAVE
from app.models.release import ARCHIVED
from app.tenants.context import current_scope
from app.platform_table import name as platform_name

RETRYING = "retrying"
SHOWN_STATES = [PENDING, RETRYING, IN_PROGRESS, DELIVERED, FAILED, CANCELLED]
STATE_LABELS = {PENDING: "Pending", RETRYING: "Retrying", IN_PROGRESS: "In progress",
                DELIVERED: "Delivered", FAILED: "Failed", CANCELLED: "Cancelled"}
PAGE_SIZE, MAX_PAGE_SIZE = 25, 200
# Release day as the panel sees it: local mode starts at the first zone's midnight
# (up to 14 hours early); a missing item is retried for 72 hours after the release.
LIVE_BEFORE, LIVE_AFTER = timedelta(hours=14), timedelta(hours=73)

# (pattern of the engine's code, sentence); groups and {platform} fill the sentence.
REASONS = [
    (r"authorization_expired_or_revoked", "The fan's permission expired or was withdrawn"),
    (r"not_on_platform_yet \(look-up failed: (?P<detail>.*)\)",
     "Not on {platform} yet (the look-up failed: {detail}); we keep trying for 72 hours"),
    (r"not_on_platform_yet", "Not on {platform} yet; we keep trying for 72 hours"),
    (r"not_in_storefront_yet \((?P<storefront>[a-z]+)\)",
     "Not in {platform}'s “{storefront}” catalogue yet (the fan's country); we keep trying "
     "for 72 hours"),
    (r"not_found_in_storefront \((?P<storefront>[a-z]+)\)",
     "Not found in {platform}'s “{storefront}” catalogue (the fan's country) within 72 hours "
     "of the release"),
    (r"not_found_on_platform", "Not found on {platform} within 72 hours of the release; "
                               "check the ISRC with your distributor"),
    (r"fan_disconnected", "The fan disconnected {platform}, so this pre-save was cancelled"),
    (r"fan_withdrew_future_save", "The fan stopped Future Save on {platform}, so this pre-save "
                                  "it added was cancelled"),
    (r"reminder_not_sent_yet", "Reminder not sent yet: this fan left contact details "
                               "instead of connecting {platform}"),
    (r"lease_expired", "A worker stopped in the middle of this delivery; it is tried again"),
    (r"batch ran out of time", "Not reached in time in its batch; it is tried again"),
    (r"platform paused \(Retry-After\)", "{platform} asked us to slow down; tried again shortly"),
    (r"token refused after refresh \((?P<detail>.*)\)",
     "{platform} refused the fan's renewed permission ({detail}); it is tried again"),
    (r"unexpected error \((?P<detail>.*)\)", "An unexpected error ({detail}); it is tried again"),
    (r"item not available: (?P<detail>.*)", "The track is not available on {platform}: {detail}"),
    (r"refused by the platform: (?P<detail>.*)", "{platform} refused the save: {detail}"),
]
_COMPILED = [(re.compile(pattern + r"\Z", re.S), words) for pattern, words in REASONS]
GAVE_UP = re.compile(r"gave up after (?P<tries>\d+) attempts: (?P<last>.*)\Z", re.S)


def plain_reason(code, platform):
    """The engine's last_error in words a person understands ("" when there is none)."""
    if not code:
        return ""
    gave_up = GAVE_UP.match(code)
    if gave_up:
        last = plain_reason(gave_up["last"], platform)
        return f"Gave up after {gave_up['tries']} attempts; the last one: {last}"
    name = platform_name(platform)
    for pattern, words in _COMPILED:
        found = pattern.match(code)
        if found:
            return words.format(platform=name, **found.groupdict())
    return code  # a platform's own message, already in words


def sees_fans():
    """Fan names and emails: label staff and platform admins, never Artist users."""
    scope = current_scope()
    return scope is not None and (scope.everything or scope.artist_id is None)


def live(release, now=None):
    """Is it release day, when the panel refreshes itself?"""
    now = now or now_utc()
    return (release.status != ARCHIVED
            and release.release_at - LIVE_BEFORE <= now <= release.release_at + LIVE_AFTER)


def counts(release):
    """Saves and reminders apart, each {platform: {shown state: count}}, with totals."""
    return {"saves": _with_totals(release_rules.ledger_counts(release, action=SAVE)),
            "reminders": _with_totals(release_rules.ledger_counts(release, action=REMIND))}


def _with_totals(by_platform):
    return [{"platform": key, "name": platform_name(key), "total": sum(states.values()),
             "states": {state: states.get(state, 0) for state in SHOWN_STATES}}
            for key, states in by_platform.items()]


@dataclass(frozen=True)
class LedgerQuery:
    """Which rows of the per-fan list: filters, search (fan name or email), page."""

    state: str | None = None
    platform: str | None = None
    search: str = ""
    page: int = 1
    page_size: int = PAGE_SIZE

    @classmethod
    def from_args(cls, args):
        """From query-string arguments; ValueError with a message for a bad value."""
        state, platform = args.get("state") or None, args.get("platform") or None
        if state not in (None, *SHOWN_STATES):
            raise ValueError(f"state is one of {', '.join(SHOWN_STATES)}")
        if platform is not None and not re.fullmatch(r"[a-z_]{1,32}", platform):
            raise ValueError("platform is a platform key such as spotify")
        return cls(state, platform, (args.get("q") or "").strip()[:200],
                   _number(args, "page", 1, 10**6), _number(args, "page_size", PAGE_SIZE,
                                                            MAX_PAGE_SIZE))

    def statement(self, release):
        stmt = (select(PreSave, Fan).join(Fan, Fan.id == PreSave.fan_id)
                .where(PreSave.release_id == release.id))
        if self.platform:
            stmt = stmt.where(PreSave.platform == self.platform)
        if self.state:
            stmt = stmt.where(_state_is(self.state))
        if self.search:
            like = f"%{self.search.lower()}%"
            stmt = stmt.where(or_(func.lower(Fan.name).like(like),
                                  func.lower(Fan.email).like(like)))
        return stmt.order_by(PreSave.updated_at.desc(), PreSave.id.desc())

    def page_of(self, release):
        """(entries of this page, how many rows match)."""
        stmt = self.statement(release)
        total = db.session.scalar(select(func.count()).select_from(
            stmt.order_by(None).with_only_columns(PreSave.id).subquery()))
        rows = db.session.execute(stmt.limit(self.page_size)
                                  .offset((self.page - 1) * self.page_size)).all()
        return [entry(p, f) for p, f in rows], total

    def every_entry(self, release, chunk=1000):
        """Every matching entry, read in chunks (the CSV download)."""
        rows = db.session.execute(self.statement(release).execution_options(yield_per=chunk))
        for presave, fan in rows:
            yield entry(presave, fan)


def _number(args, name, default, largest):
    text = args.get(name) or str(default)
    if not text.isdecimal() or not 1 <= int(text) <= largest:
        raise ValueError(f"{name} is a whole number from 1 to {largest}")
    return int(text)


def _state_is(shown):
    if shown == RETRYING:
        return (PreSave.state == PENDING) & (PreSave.attempts > 0)
    if shown == PENDING:
        return (PreSave.state == PENDING) & (PreSave.attempts == 0)
    return PreSave.state == shown


SAVED_LABELS = {"album": "saved the album", "track": "saved 1 track",
                "pre_add": "pre-added the album (Apple adds it at release)"}


def entry(presave, fan):
    """One row of the per-fan list, as plain values."""
    shown = presave.display_state
    return {"id": presave.id, "fan_name": str(fan) if fan.erased_at else fan.name or "", "fan_email": fan.email or "",
            "platform": presave.platform, "platform_name": platform_name(presave.platform),
            "action": presave.action, "origin": presave.origin or "page", "state": shown, "state_label": STATE_LABELS[shown],
            "attempts": presave.attempts or 0, "reason_code": presave.last_error or "",
            "reason": plain_reason(presave.last_error, presave.platform),
            "created_at": presave.created_at, "updated_at": presave.updated_at,
            "next_attempt_at": presave.next_attempt_at if presave.state == PENDING else None,
            "delivered_at": presave.delivered_at, "saved_as": presave.saved_as,
            "saved": SAVED_LABELS.get(presave.saved_as, "")}
