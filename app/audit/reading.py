"""Reading the trail: the entries a reader may see (the tenant scoping already limits them to
their label), filtered by person, kind, days and label, newest first; the menus of those
filters; a release's own history; the CSV rows. Every word an entry is told in lives here,
so the Activity page, a release's page and the CSV say the same thing.

Filters come in clean (app.views.activity reads the query string); nothing here trusts the
caller to restrict a Label Staff reader to their own entries: the view sets ``user_id``.
"""
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from app.audit.subjects import MASK
from app.extensions import db
from app.localtime import as_utc, resolve
from app.models import AuditEntry, Label
from app.models.release import STATUS_LABELS

PAGE_SIZE = 50
NO_LABEL = "platform"  # the label filter's value for the operator's own entries (no label)
HIDDEN = "hidden"      # how a masked value reads
NOTHING = "—"
KIND_SHAPE = re.compile(r"^[a-z][a-z _]{0,31}(\.[a-z_]{1,48})?$")
# A status line kept before the trail existed is the trail's own when an entry of the release
# was written this close to it: both are written in one transaction (app.releases.rules.record).
SAME_ACTION = timedelta(seconds=30)
LONG_VALUE = 80  # characters of a value shown on a page; the CSV keeps all

KINDS = {"release": "Releases", "artist": "Artists", "user": "Users and sign-ins",
         "label": "Label settings", "credentials": "Platform credentials",
         "webhook": "Webhooks", "ad_pixels": "Ad pixels", "email_tool": "Email tools",
         "automation": "Automations", "blast": "Blasts", "export": "Downloads",
         "retention": "Data retention", "fan": "Fans", "domain": "Custom domains"}
NOUNS = {"release": "the release", "artist": "the artist", "user": "the user",
         "label": "the label", "credentials": "the platform credentials for",
         "webhook": "the webhook", "ad_pixels": "the ad pixels of", "email_tool": "the email tool",
         "automation": "the automation", "blast": "the blast", "message": "the message",
         "retention": "the data retention limits", "domain": "the domain"}
# What an action says, after who did it. "[...]" is the part about the object: a release's
# own page leaves it out ("Archived"), the Activity page keeps it ("archived “Five Places”").
# {obj}: the object's noun and name; {name}: its name alone; {before}/{after}: a status.
PHRASES = {
    "release.created": "created[ {obj}] as {after}",
    "release.announced": "announced[ {name}]",
    "release.archived": "archived[ {name}]",
    "release.dates_changed": "changed the dates[ of {name}]",
    "release.released_now": "released[ {name}] now",
    "release.status_changed": "moved[ {name}] from {before} to {after}",
    "release.link_created": "set a streaming link[ of {name}] by hand",
    "release.link_changed": "changed a streaming link[ of {name}]",
    "release.link_deleted": "removed a streaming link[ of {name}]",
    "release.share_link_created": "made a share link[ for {name}]",
    "release.share_link_changed": "changed a share link[ of {name}]",
    "release.share_link_deleted": "removed a share link[ of {name}]",
    "release.ab_test_created": "set up an A/B test[ of {name}]",
    "release.ab_test_changed": "changed the A/B test[ of {name}]",
    "release.ab_test_deleted": "removed the A/B test[ of {name}]",
    "release.ab_variant_created": "added an A/B variant[ to {name}]",
    "release.ab_variant_changed": "changed an A/B variant[ of {name}]",
    "release.ab_variant_deleted": "removed an A/B variant[ of {name}]",
    "user.signed_in": "signed in",
    "user.sign_in_failed": "could not sign in",
    "user.invitation_resent": "sent the invitation again[ to {name}]",
    "user.invitation_revoked": "revoked the invitation[ of {name}]",
    "webhook.tested": "sent a test event[ to {obj}]",
    "webhook.replayed": "sent a delivery again[ to {obj}]",
    "email_tool.sync_started": "started a sync[ of {obj}]",
    "domain.created": "added[ {obj}]",
    "domain.deleted": "removed[ {obj}]",
    "domain.checked": "checked[ {obj}]",
    "domain.verified": "proved[ {obj}] is the label's",
    "domain.turned_on": "began serving the fan pages[ at {name}]",
    "domain.turned_off": "stopped serving the fan pages[ at {name}]",
    "domain.lapsed": "stopped serving the fan pages[ at {name}]: its proof was missing for 3 days",
    "retention.run": "applied the data retention limits",
    "analytics.events_removed": "removed raw analytics events past the limit (their counts "
                                "are kept)",
    "retention.created": "set the data retention limits",
    "retention.changed": "changed the data retention limits",
    "blast.sent": "sent the blast[ {name}]",
    "blast.scheduled": "scheduled the blast[ {name}]",
    "blast.stopped": "stopped the blast[ {name}]",
    "export.activity": "downloaded the activity",
    "export.fans": "downloaded the fans",
    "export.deliveries": "downloaded the deliveries[ of {name}]",
    "export.funnel": "downloaded the daily funnel[ of {name}]",
    "export.recipients": "downloaded the recipients[ of {name}]",
}
STATUS_STAYED = {"release.created": "created[ {obj}]", "release.status_changed": "changed[ {name}]"}
WHO = {"system": "The system", "fan": "A fan"}
NAMED = {"unknown account": "An unknown account"}  # app.audit.logins' name for no account
HOW = {"api": "via API", "cli": "command line", "system": "system", "fan": "fan page"}
WHO_SAYS_HOW = {"cli", "system", "fan"}  # who(entry) names them: "Command “…”", "The system"
FIELDS = {"presave_opens_at": "pre-save opens (UTC)", "release_at": "release (UTC)",
          "presave_opens_local": "pre-save opens (local)", "release_local": "release (local)",
          "isrc": "ISRC", "upc": "UPC", "ab_test_id": "A/B test", "totp_secret": "two-factor key",
          "rows": "rows", "via": "signed in on", "client": "client (hashed)"}
SAID_BY_PHRASE = {"release.created": {"status"}, "release.status_changed": {"status"}}
CLIENT_SHOWN = 10  # characters of a hashed client address: enough to match, not to read


@dataclass(frozen=True)
class Filters:
    """What the reader asked for, checked. ``user_id``: one person with an account (the view
    sets it to the reader's own for Label Staff); ``actor``: one without (``system``,
    ``cli:…``, ``fan``); ``kind``: ``release`` or one action ``release.archived``;
    ``since``/``until``: UTC, the second exclusive; ``label``: the operator's label id, or
    NO_LABEL."""

    user_id: int | None = None
    actor: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    label: int | str | None = None

    def where(self):
        clauses = []
        if self.user_id is not None:
            clauses.append(AuditEntry.actor_user_id == self.user_id)
        elif self.actor is not None:
            clauses += [AuditEntry.actor_user_id.is_(None), AuditEntry.actor_name == self.actor]
        if self.kind:
            clauses.append(AuditEntry.action == self.kind if "." in self.kind else
                           AuditEntry.action.startswith(self.kind + ".", autoescape=True))
        if self.since is not None:
            clauses.append(AuditEntry.at >= self.since)
        if self.until is not None:
            clauses.append(AuditEntry.at < self.until)
        if self.label == NO_LABEL:
            clauses.append(AuditEntry.label_id.is_(None))
        elif self.label is not None:
            clauses.append(AuditEntry.label_id == self.label)
        return clauses


def day_start(day, tz):
    """The UTC instant a day starts in the reader's zone (a midnight in a DST gap: the first
    instant after it)."""
    return resolve(datetime.combine(day, time(0)), tz).utc


def entries(filters, page=1, size=PAGE_SIZE):
    """One page of entries, newest first, and how many there are in all."""
    stmt = select(AuditEntry).where(*filters.where())
    total = db.session.scalar(select(func.count(AuditEntry.id)).where(*filters.where()))
    found = db.session.scalars(stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                               .offset((page - 1) * size).limit(size)).all()
    return found, total


def per_day(filters, first, last, tz):
    """[(day, entries)] from ``first`` to ``last`` (days in the reader's zone), none left out."""
    stmt = select(AuditEntry.at).where(*filters.where(), AuditEntry.at >= day_start(first, tz),
                                       AuditEntry.at < day_start(last + timedelta(days=1), tz))
    counts = {}
    for at in db.session.scalars(stmt):
        day = as_utc(at).astimezone(tz).date()
        counts[day] = counts.get(day, 0) + 1
    return [(first + timedelta(days=n), counts.get(first + timedelta(days=n), 0))
            for n in range((last - first).days + 1)]


def first_day(filters, tz):
    """The day of the oldest entry the filters find, in the reader's zone (None: none)."""
    oldest = db.session.scalar(select(func.min(AuditEntry.at)).where(*filters.where()))
    return as_utc(oldest).astimezone(tz).date() if oldest else None


# -- the filters' menus ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    value: str  # the filter's value: a user id, or the name of one without an account
    text: str


def people():
    """Everyone who appears in the reader's entries: users by id (under their latest name),
    then the system, commands and fans by name."""
    rows = db.session.execute(
        select(AuditEntry.actor_user_id, AuditEntry.actor_name, AuditEntry.actor_kind,
               func.max(AuditEntry.at))
        .group_by(AuditEntry.actor_user_id, AuditEntry.actor_name, AuditEntry.actor_kind)).all()
    users, others = {}, {}
    for user_id, name, kind, _ in sorted(rows, key=lambda row: as_utc(row[3])):
        if user_id is None:
            others[name] = _who_name(kind, name)
        else:
            users[user_id] = name  # the latest name wins
    return ([Person(str(user_id), name) for user_id, name in
             sorted(users.items(), key=lambda item: item[1].lower())]
            + [Person(name, text) for name, text in sorted(others.items())])


@dataclass
class Kind:
    value: str
    text: str
    actions: list = field(default_factory=list)  # [(action, its words)]


def kinds(filters=Filters()):
    """The kinds of action in the reader's entries (those ``filters`` find), each with its
    actions."""
    found = {}
    for action in db.session.scalars(select(AuditEntry.action).where(*filters.where())
                                     .distinct()):
        kind = action.split(".", 1)[0]
        found.setdefault(kind, Kind(kind, kind_words(kind))).actions.append(
            (action, action_words(action)))
    for kind in found.values():
        kind.actions.sort(key=lambda pair: pair[1])
    return sorted(found.values(), key=lambda kind: kind.text)


def kind_words(kind):
    return KINDS.get(kind, kind.replace("_", " ").capitalize())


def action_words(action):
    """An action on its own, for a menu: "release.dates_changed" → "Changed the dates"."""
    phrase = PHRASES.get(action)
    if phrase is None:
        return _generic(action, None).capitalize()
    phrase = re.sub(r"\[.*?\]| as \{after\}", "", phrase)  # "Created", not "Created as …"
    if "{after}" in phrase:
        return "Moved to another status"
    return phrase.format(obj="", name="").strip().capitalize()


def labels():
    """{label id: name} of the labels the reader sees."""
    return dict(db.session.execute(select(Label.id, Label.name)).all())


# -- one entry in words ----------------------------------------------------------------------------

def who(entry):
    """Who acted: the user's name, or the system, a command, a fan."""
    return _who_name(entry.actor_kind, entry.actor_name)


def _who_name(kind, name):
    if kind == "cli" or (name or "").startswith("cli:"):
        return f"Command “{name.removeprefix('cli:')}”"
    if kind == "system" and name and name != "system":  # a job, the demo, ...
        return f"The system ({name.removeprefix('job:').replace('_', ' ')})"
    if kind in WHO:
        return WHO[kind]
    return NAMED.get(name, name or "someone")


def how(entry, unsaid=False):
    """The way in, when it is not a person on the web: "via API", "command line", ...
    ``unsaid``: only what who(entry) does not say already (a page's Who column)."""
    if unsaid and entry.actor_kind in WHO_SAYS_HOW:
        return None
    return HOW.get(entry.actor_kind)


def sentence(entry, actor=True, obj=True):
    """The entry as words: "owner@northwind.test archived “Five Places”". Without the actor
    (a table with a Who column): "Archived “Five Places”"; without the object either (the
    release's own page): "Archived"."""
    did = _did(entry, obj)
    return f"{who(entry)} {did}" if actor else did[:1].upper() + did[1:]


def _did(entry, with_object):
    changes = entry.changes or {}
    phrase = PHRASES.get(entry.action)
    before, after = (changes.get("status") or [None, None])[:2]
    if phrase is not None and "{after}" in phrase and before == after:
        # the status stayed (an A/B test's winner chosen): what else changed says it
        phrase = STATUS_STAYED.get(entry.action)
    elif entry.action == "release.status_changed" and before is None:
        phrase = PHRASES["release.created"]  # made without app.releases.rules.create
    if phrase is None:
        return _generic(entry.action, _object(entry) if with_object else None)
    name = f"“{entry.object_name}”" if entry.object_name else _noun(entry.object_type)
    words = re.sub(r"\[(.*?)\]", r"\1" if with_object else "", phrase)
    return words.format(obj=_object(entry), name=name, before=status_words(before),
                        after=status_words(after))


def _generic(action, obj):
    """An action no phrase names: "webhook.turned_off" → "turned off the webhook “…”"."""
    kind, _, verb = action.partition(".")
    if kind == "export":
        return f"downloaded the {verb.replace('_', ' ')}"
    words = verb.replace("_", " ") or "did"
    return f"{words} {obj}" if obj else words


def _noun(object_type):
    return NOUNS.get(object_type, f"the {object_type.replace('_', ' ')}" if object_type else "")


def _object(entry):
    noun = _noun(entry.object_type or entry.action.split(".", 1)[0])
    name = f"“{entry.object_name}”" if entry.object_name else (
        f"#{entry.object_id}" if entry.object_id is not None else "")
    return f"{noun} {name}".strip()


def status_words(status):
    return STATUS_LABELS.get(status, status) if status else "nothing"


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str

    @property
    def new(self):
        return self.before == NOTHING


def changes(entry, short=True):
    """[Change] of the entry's fields, as words; a masked value reads "hidden". ``short``: long
    values end in "…" (the page); the CSV keeps them whole."""
    said = SAID_BY_PHRASE.get(entry.action, set())
    return [Change(_field(key), shown(key, before, short), shown(key, after, short))
            for key, (before, after) in (entry.changes or {}).items() if key not in said]


def changes_line(entry):
    """"field: before → after; ..." for the CSV."""
    return "; ".join(f"{c.field}: {c.before} → {c.after}" for c in changes(entry, short=False))


def detail(entry):
    """[(what, value)] of the entry's detail: counts, a reason, the filters of a download."""
    found = []
    for key, value in (entry.detail or {}).items():
        if isinstance(value, dict):
            value = ", ".join(f"{_field(k)} {v}" for k, v in value.items() if v not in
                              (None, "")) or NOTHING
        elif key == "client" and isinstance(value, str):
            value = value[:CLIENT_SHOWN]
        else:
            value = shown(key, value, short=True)
        found.append((_field(key), value))
    return found


def detail_line(entry):
    return "; ".join(f"{what}: {value}" for what, value in detail(entry))


def _field(key):
    return FIELDS.get(key, str(key).replace("_", " "))


def shown(key, value, short=True):
    """A stored value as a person reads it."""
    if value == MASK:
        return HIDDEN
    if value is None or value == "" or value == [] or value == {}:
        return NOTHING
    if key == "status" or str(key).endswith(" status"):
        return status_words(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        text = ", ".join(str(item) for item in value)
    elif isinstance(value, dict):
        text = ", ".join(f"{k}: {v}" for k, v in value.items())
    else:
        text = _instant(str(value))
    return text[:LONG_VALUE - 1] + "…" if short and len(text) > LONG_VALUE else text


def _instant(text):
    """An ISO date-time (stored as text) to the minute: "2026-05-01 09:00 UTC"."""
    if len(text) < 16 or text[4] != "-" or text[10] not in "T ":
        return text
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return text
    if value.tzinfo is not None and value.utcoffset() == timedelta(0):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.strftime("%Y-%m-%d %H:%M")


# -- the CSV ---------------------------------------------------------------------------------------

CSV_COLUMNS = [("at", "When (UTC)"), ("who", "Who"), ("role", "Role"), ("how", "How"),
               ("label", "Label"), ("action", "Action"), ("what", "What"),
               ("object", "Object"), ("changes", "Changes"), ("detail", "Detail")]


def csv_rows(filters):
    """One dict per entry the filters find (every page), newest first, for app.csv_export."""
    names = labels()
    stmt = (select(AuditEntry).where(*filters.where())
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .execution_options(yield_per=500))
    for entry in db.session.scalars(stmt):
        yield {"at": as_utc(entry.at).isoformat(timespec="seconds"), "who": who(entry),
               "role": entry.actor_role or "", "how": how(entry) or "web",
               "label": label_name(entry.label_id, names), "action": entry.action,
               "what": sentence(entry), "object": _object_cell(entry),
               "changes": changes_line(entry), "detail": detail_line(entry)}


def label_name(label_id, names):
    if label_id is None:
        return "platform"
    return names.get(label_id, f"label #{label_id}")  # an entry outlives its label


def _object_cell(entry):
    if entry.object_type is None:
        return ""
    found = f"{entry.object_type} #{entry.object_id}" if entry.object_id is not None else \
        entry.object_type
    return f"{found}: {entry.object_name}" if entry.object_name else found


# -- a release's history ---------------------------------------------------------------------------

@dataclass
class Line:
    """One line of a release's history: an entry, or a status change kept before the trail."""

    at: datetime
    what: str
    who: str
    how: str | None = None
    role: str | None = None
    changes: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # what the old status lines said in words


def release_history(release):
    """The release's lines, newest first: its entries in the trail, and the status changes
    (release.history) no entry was written with, kept from before the trail existed. A
    status line's note (an A/B test's winner) joins the entry written with it."""
    found = db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "release", AuditEntry.object_id == release.id,
        AuditEntry.at >= release.created_at)  # never a deleted release's of the same id
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())).all()
    lines = [(as_utc(entry.at), Line(as_utc(entry.at), sentence(entry, actor=False, obj=False),
                                     who(entry), how(entry, unsaid=True), entry.actor_role,
                                     changes(entry)))
             for entry in found]
    for change in release.history:
        at = as_utc(change.at)
        written_with = min((line for entry_at, line in lines
                            if abs(entry_at - at) <= SAME_ACTION),
                           key=lambda line: abs(line.at - at), default=None)
        if written_with is not None:
            written_with.notes += [change.note] if change.note else []
            continue
        lines.append((at, Line(at, _old_status_words(change), change.actor,
                               notes=[change.note] if change.note and change.from_status
                               != change.to_status else [])))
    return [line for _, line in sorted(lines, key=lambda pair: pair[0], reverse=True)]


def _old_status_words(change):
    if change.from_status is None:
        return f"Created as {status_words(change.to_status)}"
    if change.from_status == change.to_status and change.note:
        return change.note
    return f"Moved from {status_words(change.from_status)} to {status_words(change.to_status)}"
