"""What the trail records, in one table: each audited model, the name its entries give it,
the fields that are bookkeeping (never an entry of their own), and the fields whose values
never leave the row (secrets and personal data: the entry says only that they changed).

A part (a release's hand-set link, a share-kit link, an A/B test's variant) has no entry of
its own: its changes join its owner's entry of the same transaction, so one action is one
entry however many rows it touches."""
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable
from urllib.parse import urlsplit

from sqlalchemy import Column, inspect

from app.models import (AbTest, AbVariant, AdPixels, Artist, AudienceConnection, Automation,
                        CustomDomain, Label, PlatformCredential, PresaveUser, Release, RetentionPolicy,
                        ShortLink, StreamingLink, WebhookEndpoint)

MASK = "••••"  # a masked value that is set; None stays None ("not set")
# A longer text (an artist's bio) is kept as its start and its length: the trail says what
# changed, and its CSV cells stay within what spreadsheets and CSV readers take.
KEPT_CHARACTERS = 2000


@dataclass(frozen=True)
class Subject:
    kind: str
    name: Callable = lambda obj: None
    label: Callable = lambda obj: obj.label_id
    ignore: frozenset = frozenset()
    masked: frozenset = frozenset()
    collections: dict = field(default_factory=dict)  # relationship -> how a member is named
    owner: Callable | None = None  # a part: (part, session) -> the object whose entry it joins
    part: Callable | None = None   # a part: the words its fields go under ("link spotify")
    part_kind: str | None = None   # a part: its word in the owner's action (release.link_changed)
    when: Callable = lambda obj: True  # only rows for which this holds are recorded

    def field_name(self, obj, key):
        return f"{self.part(obj)} {key}" if self.part else key


_STAMPS = frozenset({"created_at", "updated_at", "created_on", "changed_on", "created_by",
                     "changed_by_fk", "created_by_fk", "id", "label_id"})
_PART_KEYS = frozenset({"release_id", "artist_id", "test_id"})  # the owner says these
_LINK_WORK = frozenset({"links_next_check_at", "links_checked_at", "links_attempts",
                        "links_gave_up_at", "future_saves_at", "page_version"})

SUBJECTS = {
    Label: Subject("label", lambda o: o.name, label=lambda o: o.id),
    PresaveUser: Subject(
        "user", lambda o: o.username, ignore=frozenset({
            "last_login", "login_count", "fail_login_count", "locked_until", "totp_last_step"}),
        masked=frozenset({"password", "first_name", "last_name", "email", "username"}),
        collections={"roles": lambda role: role.name}),
    Artist: Subject("artist", lambda o: o.name),
    Release: Subject("release", lambda o: o.title, ignore=_LINK_WORK),
    StreamingLink: Subject("release", owner=lambda o, session: _release(o, session),
                           part=lambda o: f"link {o.platform}", part_kind="link",
                           when=lambda o: o.source == "manual",
                           ignore=_PART_KEYS | {"found_at"}),
    # The fan page's own link is made the first time anyone opens the release page: not an act.
    ShortLink: Subject("release", owner=lambda o, session: _release(o, session),
                       part=lambda o: f"share link {o.code}", part_kind="share_link",
                       when=lambda o: not o.main, ignore=_PART_KEYS | {"main"}),
    AbTest: Subject("release", owner=lambda o, session: _release(o, session),
                    part=lambda o: "A/B test", part_kind="ab_test",
                    ignore=_PART_KEYS | {"peaks", "looked_at"}),  # the hourly look's own
    AbVariant: Subject("release", owner=lambda o, session: _release(
                           o.test or session.get(AbTest, o.test_id), session),
                       part=lambda o: f"A/B variant {o.key}", part_kind="ab_variant",
                       ignore=_PART_KEYS),
    PlatformCredential: Subject("credentials", lambda o: o.platform),
    # A receiver's path and query can be its credential (Slack, Zapier): only the host is told.
    WebhookEndpoint: Subject("webhook", lambda o: urlsplit(o.url).netloc or "webhook",
                             ignore=frozenset({"failing_since"}),
                             masked=frozenset({"secret_sealed", "url"})),
    AdPixels: Subject("ad_pixels", lambda o: "label" if o.artist_id is None else
                      f"artist #{o.artist_id}"),
    AudienceConnection: Subject("email_tool", lambda o: o.provider,
                                ignore=frozenset({"checked_at", "reconciled_at", "last_error"})),
    Automation: Subject("automation", lambda o: o.kind),
    RetentionPolicy: Subject("retention", lambda o: "data retention"),
    # The token is public (anyone may fetch it from the domain); each check's own bookkeeping
    # is no entry: a check that changes the state is ("domain.verified", "domain.lapsed").
    CustomDomain: Subject("domain", lambda o: o.hostname, ignore=frozenset({
        "checked_at", "failing_since", "last_error", "verified_at", "verified_by"})),
}


def _release(part, session):
    """A part's release, also while the part is new and knows only its release's id."""
    if part is None:
        return None
    return part.release or session.get(Release, part.release_id)


def subject_of(obj):
    return SUBJECTS.get(type(obj))


def values(obj, subject, changed_only):
    """{field: (before, after)} of ``obj``: its changed columns (every set one when new),
    secrets and personal data masked, bookkeeping left out."""
    state = inspect(obj)
    found = {}
    for attr in state.mapper.column_attrs:
        if not isinstance(attr.expression, Column):
            continue  # a computed count (Artist.fan_count): no field of the row
        key = attr.key
        if key in _STAMPS or key in subject.ignore:
            continue
        history = state.attrs[key].history
        if changed_only and not history.has_changes():
            continue
        before = history.deleted[0] if history.deleted else (
            history.unchanged[0] if history.unchanged else None)
        after = getattr(obj, key)
        if changed_only and before == after:
            continue
        if not changed_only and after in (None, "", [], {}):
            continue
        masked = key in subject.masked or key.endswith("_sealed")
        found[subject.field_name(obj, _shown(key))] = (_plain(before, masked),
                                                       _plain(after, masked))
    for key, name_of in subject.collections.items():
        history = state.attrs[key].history
        now = sorted(name_of(m) for m in getattr(obj, key))
        before = sorted(name_of(m) for m in (*history.unchanged, *history.deleted))
        if not changed_only:
            found[key] = (None, now)
        elif history.has_changes() and before != now:
            found[key] = (before, now)
    return found


def snapshot(obj, subject):
    """{field: (value, None)} of a row being deleted."""
    return {key: (after, None)
            for key, (_, after) in values(obj, subject, changed_only=False).items()}


def _shown(key):
    return key.removesuffix("_sealed")


def _plain(value, masked):
    if masked:
        return None if value in (None, "") else MASK
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, str) and len(value) > KEPT_CHARACTERS:
        return f"{value[:KEPT_CHARACTERS]}… ({len(value):,} characters)"
    if isinstance(value, (str, int, float, bool, list, dict)) or value is None:
        return value
    return str(value)
