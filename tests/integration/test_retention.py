"""Data retention on a label seeded with fans, consents, grants, pre-saves, messages, opening
notices, webhook deliveries, conversions, email tools' changes, cookie answers and audit
entries of every age around each limit (each with a marker string of its own):

- the dry run (`flask --app run retention --dry-run`) lists exactly what the rules should find,
  and the real run then changes exactly those rows and nothing else of the label;
- afterwards no marker of data older than its limit is left in any text column of any table,
  while every younger one is;
- the dashboards (ledger, messages, overview, analytics API) count what they counted;
- the run is one `retention.run` audit entry with its counts; another label is untouched;
- the settings page refuses bad limits with a message, and shows only its own label."""
import json
import re
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rq.cron import CronScheduler
from sqlalchemy import JSON, MetaData, String, Text, cast, delete, func, insert, or_, select

import app as app_package
from app.analytics import event_months, queries, rollups
from app.crypto import keyring
from app.extensions import db
from app.jobs import retention as retention_jobs
from app.localtime import now_utc
from app.messaging import ledger as message_ledger
from app.models import (Artist, AudienceChange, AudienceConnection, AuditEntry, Authorization,
                        Consent, ConversionEvent, CookieChoice, Event, Fan, FanSource, Label,
                        Message, MessageRecipient, OpeningNotice, PreSave, Release,
                        RetentionPolicy, WebhookAttempt, WebhookDelivery)
from app.models.fan import (EMAIL_MARKETING, PRESAVE_OPENS, RELEASE_REMINDER,
                            future_save_purpose)
from app.releases import ledger, overview, rules as release_rules
from app.retention import run
from app.retention.rules import ANSWER_REMOVED, BY_KEY, RULES
from app.tenants.context import Scope, scoped
from app.webhooks import endpoints as webhook_endpoints
from tests.own_label import make_label

ADMIN, OWNER, STAFF = "admin@presave.test", "owner@northwind.test", "staff@northwind.test"


def ago(now, days):
    return now - timedelta(days=days)


class Seed:
    """Rows written for one label, with the markers they hold: those that must go, those that
    must stay, and the ids each rule must find."""

    def __init__(self, label_id, artist_id, now):
        self.label_id, self.artist_id, self.now = label_id, artist_id, now
        self.tag = uuid.uuid4().hex[:6]
        self.digits = str(uuid.uuid4().int)[:7]
        self.going, self.staying = set(), set()
        self.expected = defaultdict(set)
        self.phones = 0

    def mark(self, name, going):
        text = f"rtn{self.tag}{name}."
        (self.going if going else self.staying).add(text)
        return text

    def phone(self, going):
        self.phones += 1
        text = f"+1{self.digits}{self.phones:03d}"
        (self.going if going else self.staying).add(text)
        return text

    def expect(self, rule, row):
        db.session.flush()
        self.expected[rule].add(row.id)
        return row

    def owned(self, model, **values):
        row = model(label_id=self.label_id, artist_id=self.artist_id, **values)
        db.session.add(row)
        db.session.flush()
        return row

    def release(self, title, opens_days, out_days, status):
        artist = db.session.get(Artist, self.artist_id)
        release = Release(artist=artist, label_id=self.label_id, title=title,
                          slug=f"{title.lower().replace(' ', '-')}-{self.tag}",
                          platforms=["spotify", "deezer", "tidal"])
        wall = lambda days: (self.now + timedelta(days=days)).replace(tzinfo=None)  # noqa: E731
        release_rules.schedule(release, wall(opens_days), wall(out_days), "UTC",
                               must_be_future=False)
        release.status = status
        db.session.add(release)
        db.session.flush()
        return release

    def fan(self, key, going, created_days):
        """A fan whose name, email and phone go with ``going``."""
        return self.owned(Fan, name=self.mark(f"{key}-name", going),
                          email=self.mark(f"{key}-email", going) + "@fans.test",
                          phone=self.phone(going), city="Porto", country="PT",
                          created_at=ago(self.now, created_days))

    def consent(self, fan, purpose, given_days, withdrawn_days=None):
        return self.owned(Consent, fan_id=fan.id, purpose=purpose, wording="I agree",
                          given_at=ago(self.now, given_days),
                          withdrawn_at=None if withdrawn_days is None
                          else ago(self.now, withdrawn_days))

    def grant(self, fan, platform, going, granted_days=10, state="active", refresh=True,
              expires_days=None):
        grant = self.owned(Authorization, fan_id=fan.id, platform=platform,
                           platform_user_id=self.mark(f"{fan.id}-{platform}-account", going),
                           state=state, granted_at=ago(self.now, granted_days),
                           expires_at=None if expires_days is None
                           else ago(self.now, expires_days))
        grant.set_tokens(keyring(), f"access-{self.tag}", f"refresh-{self.tag}" if refresh
                         else None)
        return grant

    def presave(self, release, fan, platform, state, grant=None, action="save", last_error=None):
        return self.owned(PreSave, release_id=release.id, fan_id=fan.id, platform=platform,
                          action=action, state=state, authorization_id=grant and grant.id,
                          last_error=last_error, attempts=1,
                          next_attempt_at=release.release_at,
                          created_at=release.presave_opens_at, updated_at=release.release_at,
                          delivered_at=release.release_at if state == "delivered" else None)

    def message(self, kind, release=None):
        key = f"{kind}-{release.id}" if release is not None and kind != "blast" else None
        return self.owned(Message, release_id=release and release.id, kind=kind,
                          automation_key=key, name=kind, subject="Hello", body="Hi",
                          created_at=self.now)

    def recipient(self, message, fan, state, days, channel="email", reason=None,
                  platform=None):
        return self.owned(MessageRecipient, message_id=message.id, fan_id=fan.id,
                          release_id=message.release_id, platform=platform, channel=channel,
                          state=state, reason=reason, created_at=ago(self.now, days),
                          updated_at=ago(self.now, days),
                          next_attempt_at=self.now + timedelta(days=30))

    def notice(self, release, fan, state, days, sent_days=None, last_error=None):
        return self.owned(OpeningNotice, release_id=release.id, fan_id=fan.id, state=state,
                          last_error=last_error, created_at=ago(self.now, days),
                          sent_at=None if sent_days is None else ago(self.now, sent_days),
                          next_attempt_at=self.now + timedelta(days=30))

    def outbound(self, model, days, state, **values):
        row = model(label_id=self.label_id, state=state, attempts=1,
                    created_at=ago(self.now, days), updated_at=ago(self.now, days),
                    next_attempt_at=self.now + timedelta(days=30), **values)
        db.session.add(row)
        db.session.flush()
        return row


def seed_label(app):
    """A label of its own with every kind of row around each limit; the Seed."""
    label_id, slug = make_label(app, "Retention", "Kept Promise")
    now = now_utc()
    with app.app_context(), scoped(Scope.label(label_id, actor="test")):
        artist_id = db.session.scalar(select(Artist.id).where(Artist.slug == slug))
        s = Seed(label_id, artist_id, now)
        label = db.session.get(Label, label_id)
        s.slug, s.label_name = label.slug, label.name
        _fans(s)
        _outbound(s)
        _events(s)
        db.session.commit()
    return s


def _fans(s):
    old = s.release("Long Gone", -640, -610, "archived")     # out 20 months ago
    young = s.release("Last Year", -330, -300, "archived")   # out 10 months ago
    open_ = s.release("Coming Up", -1, 30, "presave_active")
    soon = s.release("Not Yet", 20, 40, "announced")
    s.releases = [old, young, open_, soon]
    blast, opens = s.message("blast"), s.message("presave_opens", old)
    reconsent = s.message("reconsent", open_)
    s.message_ids = [blast.id, opens.id, reconsent.id]

    # Never completed a pre-save: 30 days since they were last seen, unless something keeps them.
    a = s.expect("unfinished_fans", s.fan("a", True, 40))
    s.consent(a, PRESAVE_OPENS, 40)
    s.notice(old, a, "sent", 40, sent_days=35)
    b = s.fan("b", False, 20)
    s.consent(b, PRESAVE_OPENS, 20)
    s.notice(old, b, "sent", 20, sent_days=20)
    c = s.expect("unfinished_messaged_fans", s.fan("c", True, 40))
    s.notice(old, c, "sent", 40, sent_days=35)
    s.recipient(opens, c, "sent", 35)
    s.expect("message_answers", s.recipient(
        opens, c, "bounced", 35, channel="sms",
        reason=f"21211: the 'To' number {c.phone} is not a valid phone number"))
    c2 = s.expect("unfinished_messaged_fans", s.fan("c2", True, 100))
    s.consent(c2, EMAIL_MARKETING, 100, withdrawn_days=40)  # once on the label's lists
    d = s.fan("d", False, 60)
    s.consent(d, EMAIL_MARKETING, 60)
    s.recipient(blast, d, "bounced", 300, reason=f"550 {s.mark('d-answer', False)}")
    e = s.fan("e", False, 60)
    s.notice(soon, e, "pending", 60)

    # Withdrew consent: 30 days after the last withdrawal, once every pre-save is settled.
    f = s.expect("withdrawn_fans", s.fan("f", True, 200))
    s.consent(f, EMAIL_MARKETING, 100, withdrawn_days=40)
    s.presave(young, f, "spotify", "delivered", s.grant(f, "spotify", True))
    s.owned(FanSource, fan_id=f.id, utm_campaign=s.mark("f-campaign", True))
    s.expect("message_answers", s.recipient(blast, f, "bounced", 60,
                                             reason=f"550 5.1.1 <{f.email}> unknown"))
    g = s.fan("g", False, 200)
    s.consent(g, EMAIL_MARKETING, 100, withdrawn_days=20)
    s.presave(young, g, "spotify", "delivered",
              s.expect("grants", s.grant(g, "spotify", True)))  # needed by nothing
    s.recipient(blast, g, "bounced", 60, reason=f"550 {s.mark('g-answer', False)}")
    h = s.fan("h", False, 200)
    s.consent(h, EMAIL_MARKETING, 100, withdrawn_days=40)
    s.presave(open_, h, "spotify", "pending", s.grant(h, "spotify", False))

    # The ledger: 18 months after the release, unless something keeps the fan.
    i = s.expect("ledger_fans", s.fan("i", True, 700))
    s.consent(i, RELEASE_REMINDER, 640)
    s.presave(old, i, "spotify", "delivered", s.grant(i, "spotify", True))
    s.expect("reminder_answers", s.presave(
        old, i, "deezer", "failed", action="remind",
        last_error=f"bounced: the mail server refused the address (550 <{i.email}>)"))
    j = s.fan("j", False, 400)
    s.presave(young, j, "spotify", "delivered",
              s.expect("grants", s.grant(j, "spotify", True)))
    k = s.fan("k", False, 700)
    s.consent(k, EMAIL_MARKETING, 700)
    s.presave(old, k, "spotify", "delivered")
    s.expect("reminder_answers", s.presave(old, k, "deezer", "failed", action="remind",
                                           last_error=f"550 {s.mark('k-reminder', True)}"))
    s.expect("message_answers", s.recipient(blast, k, "failed", 580,
                                            reason=f"550 {s.mark('k-answer', True)}"))
    s.expect("notice_answers", s.notice(old, k, "failed", 660,
                                        last_error=f"550 {s.mark('k-notice', True)}"))

    # Grants: revoked or expired at once; otherwise while a pending pre-save or Future Save
    # needs them (or a Re-consent ask waits for the fan to reconnect).
    m = s.fan("m", False, 100)
    s.consent(m, EMAIL_MARKETING, 100)
    s.presave(young, m, "spotify", "delivered",
              s.expect("grants", s.grant(m, "spotify", True, state="revoked")))
    s.expect("grants", s.grant(m, "tidal", True, refresh=False, expires_days=2))
    s.presave(open_, m, "deezer", "pending", s.grant(m, "deezer", False))
    n = s.fan("n", False, 100)
    s.consent(n, future_save_purpose("deezer"), 90)
    s.presave(young, n, "deezer", "delivered", s.grant(n, "deezer", False))
    o = s.fan("o", False, 250)
    s.consent(o, EMAIL_MARKETING, 250)
    s.presave(open_, o, "spotify", "pending",
              s.expect("grants", s.grant(o, "spotify", True, granted_days=200)))
    p = s.fan("p", False, 250)
    s.consent(p, EMAIL_MARKETING, 250)
    s.presave(open_, p, "spotify", "pending", s.grant(p, "spotify", False, granted_days=200))
    s.recipient(reconsent, p, "queued", 1, platform="spotify")


def _outbound(s):
    endpoint = webhook_endpoints.create(s.label_id, f"https://hooks-{s.tag}.example/in",
                                        ["presave.delivered"], actor="test")
    for days, state, going in ((40, "delivered", True), (20, "delivered", False),
                               (40, "pending", False)):
        delivery = s.outbound(WebhookDelivery, days, state, endpoint_id=endpoint.id,
                              message_id=f"msg_{uuid.uuid4().hex}", event_type="presave.delivered",
                              body=json.dumps({"fan": s.mark(f"hook-{days}-{state}", going)}))
        db.session.add(WebhookAttempt(label_id=s.label_id, delivery_id=delivery.id,
                                      at=ago(s.now, days), status=200,
                                      excerpt=s.mark(f"answer-{days}-{state}", going)))
        if going:
            s.expect("webhook_deliveries", delivery)
    for days, state, going in ((40, "sent", True), (20, "sent", False), (40, "pending", False)):
        row = s.outbound(ConversionEvent, days, state, artist_id=s.artist_id, service="meta",
                         event_id=f"presave-{uuid.uuid4().hex[:8]}", event_name="Lead",
                         event_time=ago(s.now, days), source_url="https://presave.test/s/x",
                         user_agent=s.mark(f"agent-{days}-{state}", going))
        if going:
            s.expect("conversion_user_agents", row)
    tool = AudienceConnection(label_id=s.label_id, provider="mailchimp", lists={},
                              created_at=s.now)  # no key: erasures queue no change for it
    db.session.add(tool)
    db.session.flush()
    for days, state, going in ((40, "done", True), (20, "done", False), (40, "pending", False)):
        row = s.outbound(AudienceChange, days, state, connection_id=tool.id,
                         artist_id=s.artist_id, action="delete",
                         email_sealed=s.mark(f"sealed-{days}-{state}", going))
        if going:
            s.expect("audience_addresses", row)
    q = s.fan("q", False, 40)  # as old as a, but a change for the email tools waits for them
    s.outbound(AudienceChange, 40, "pending", connection_id=tool.id, artist_id=s.artist_id,
               action="unsubscribe", fan_id=q.id)
    for days, going in ((200, True), (100, False)):
        row = s.owned(CookieChoice, visitor_hash=s.mark(f"visitor-{days}", going),
                      choice="accepted", wording="May we?", created_at=ago(s.now, days))
        if going:
            s.expect("cookie_choices", row)
    for days, going in ((4 * 365, True), (2 * 365, False)):
        entry_id = db.session.execute(insert(AuditEntry).values(
            at=ago(s.now, days), label_id=s.label_id, actor_kind="user",
            actor_name="staff@retention.test", action="fan.exported", object_type="fan",
            object_name=s.mark(f"audit-{days}", going)).returning(AuditEntry.id)).scalar()
        if going:
            s.expected["audit_entries"].add(entry_id)


def _events(s):
    """Raw events of every release (kept as they are), counted into the rollups."""
    for release in s.releases:
        for kind, times in (("page_view", 5), ("presave_completed", 2), ("delivered", 1)):
            db.session.add_all(Event(label_id=s.label_id, artist_id=s.artist_id,
                                     release_id=release.id, kind=kind, platform="spotify",
                                     occurred_at=release.presave_opens_at + timedelta(hours=1),
                                     city="Porto", country="PT") for _ in range(times))
        db.session.flush()
        rollups.rebuild(release.id)


# --- reading the database -----------------------------------------------------------------------

def holding(app, prefixes):
    """Every value of a text or JSON column of any table (reflected from the database) that
    contains one of ``prefixes``."""
    found = []
    with app.app_context(), scoped(Scope.platform("test")):
        tables = MetaData()
        tables.reflect(bind=db.engine)
        for table in tables.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, (String, Text, JSON)):
                    continue
                text = cast(column, String)
                rows = db.session.execute(select(text).where(
                    or_(*[text.like(f"%{prefix}%") for prefix in prefixes]))).scalars()
                found += [(f"{table.name}.{column.name}", value) for value in rows]
    return found


def markers_left(app, seed, markers):
    values = holding(app, [f"rtn{seed.tag}", f"+1{seed.digits}"])
    return sorted({(where, marker) for marker in markers for where, value in values
                   if marker in str(value)})


def label_rows(app, label_id):
    """Every row of the label in every table with a label_id, by primary key: what changed."""
    found = {}
    with app.app_context(), scoped(Scope.platform("test")):
        tables = MetaData()
        tables.reflect(bind=db.engine)
        for table in tables.sorted_tables:
            if "label_id" not in table.c:
                continue
            keys = [c.name for c in table.primary_key.columns]
            for row in db.session.execute(select(table).where(table.c.label_id == label_id)):
                values = row._asdict()
                found[(table.name, tuple(values[k] for k in keys))] = values
    return found


def dashboards(app, api, seed):
    """What the label's dashboards count: the delivery ledger per release, the messages, the
    overview's last release night and live campaigns, the artist's analytics, and the analytics
    API per release (as the platform admin)."""
    client, headers = api(ADMIN)
    with app.app_context(), scoped(Scope.label(seed.label_id, actor="test")):
        releases = db.session.scalars(select(Release).where(
            Release.label_id == seed.label_id).order_by(Release.id)).all()
        ids = [r.id for r in releases]
        night = overview.last_release_night(seed.now)
        artist = db.session.get(Artist, seed.artist_id)
        counted = {
            "ledger": {r.id: ledger.counts(r) for r in releases},
            "messages": message_ledger.counts(seed.message_ids),
            "night": (night.release.id, night.states, night.saves, night.reasons,
                      night.reminders),
            "pace": queries.pace(ids, seed.now.date()),
            "artist": queries.artist_report(artist, seed.now)["releases"],
            "presaves": db.session.scalar(select(Artist.presave_count).where(
                Artist.id == seed.artist_id)),
        }
    counted["api"] = {pk: client.get(f"/api/v1/releases/{pk}/analytics",
                                     headers=headers).get_json() for pk in ids}
    return counted


def fan_count(app, seed):
    with app.app_context(), scoped(Scope.platform("test")):
        return db.session.scalar(select(Artist.fan_count).where(Artist.id == seed.artist_id))


# --- the CLI ------------------------------------------------------------------------------------

TITLES = {rule.title: rule.key for rule in RULES}
LINE = re.compile(r"^  (?P<title>.+) \((?P<limit>[^()]+)\): (?P<count>\d+) ")


def listed(output):
    """{rule key: (count, [ids])} from the CLI's output."""
    found, current = {}, None
    for line in output.splitlines():
        head = LINE.match(line)
        if head and head["title"] in TITLES:
            current = TITLES[head["title"]]
            found[current] = (int(head["count"]), [])
        elif current and line.startswith("      "):
            found[current][1].extend(int(n) for n in re.findall(r"\d+", line.split("ids:")[-1]))
    return found


def cli(app, *args):
    result = app.test_cli_runner().invoke(args=["retention", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


@pytest.fixture
def seeded(app):
    seed = seed_label(app)
    other = seed_label(app)  # another label, as old: a run for the first never touches it
    yield seed, other
    with app.app_context(), scoped(Scope.platform("test")):
        for label_id in (seed.label_id, other.label_id):
            db.session.execute(delete(Label).where(Label.id == label_id))
            # entries outlive their label, and SQLite may give its id to the next one
            db.session.execute(delete(AuditEntry).where(
                AuditEntry.label_id == label_id, AuditEntry.at < ago(now_utc(), 366)))
        db.session.commit()


def test_the_dry_run_lists_what_the_run_then_deletes_and_nothing_older_is_left(app, api,
                                                                                seeded):
    seed, other = seeded
    assert markers_left(app, seed, seed.going) != []  # the search finds what is there
    before, counts_before = label_rows(app, seed.label_id), dashboards(app, api, seed)
    other_before, fans_before = label_rows(app, other.label_id), fan_count(app, seed)
    with app.app_context(), scoped(Scope.platform("test")):
        last_entry = db.session.scalar(select(func.max(AuditEntry.id)))

    dry = listed(cli(app, "--dry-run", "--label", seed.slug))
    assert set(dry) == {rule.key for rule in RULES}
    assert {key: set(ids) for key, (_, ids) in dry.items() if ids} == dict(seed.expected)
    assert all(count == len(ids) for count, ids in dry.values())
    assert label_rows(app, seed.label_id) == before  # a dry run changes nothing

    done = listed(cli(app, "--label", seed.slug))
    assert {key: count for key, (count, _) in done.items()} == \
        {key: count for key, (count, _) in dry.items()}

    after = label_rows(app, seed.label_id)
    _only_the_listed_rows_changed(before, after, {key: ids for key, (_, ids) in dry.items()})
    assert markers_left(app, seed, seed.going) == []
    assert {marker for _, marker in markers_left(app, seed, seed.staying)} == seed.staying
    assert dashboards(app, api, seed) == counts_before
    assert fan_count(app, seed) == fans_before - len(dry["unfinished_fans"][1])
    assert label_rows(app, other.label_id) == other_before

    with app.app_context(), scoped(Scope.platform("test")):
        entries = db.session.scalars(select(AuditEntry).where(
            AuditEntry.id > last_entry, AuditEntry.action == "retention.run")).all()
        events = db.session.scalar(select(func.count(Event.id)).where(
            Event.label_id == seed.label_id))
    assert [(e.label_id, e.actor_kind, e.detail["counts"]) for e in entries] == [
        (seed.label_id, "cli", {key: count for key, (count, _) in done.items()})]
    assert events == 4 * 8  # raw analytics events are left alone

    again = listed(cli(app, "--dry-run", "--label", seed.slug))
    assert {key: count for key, (count, _) in again.items() if count} == {}


def _only_the_listed_rows_changed(before, after, planned):
    """Every row of the label that changed or went is a row a rule listed, or follows from
    one: the rows of a fan deleted or erased, the attempts of a webhook delivery deleted, the
    pre-saves that pointed at a grant deleted."""
    going = {*planned["unfinished_fans"], *planned["unfinished_messaged_fans"],
             *planned["withdrawn_fans"], *planned["ledger_fans"]}
    grants = set(planned["grants"])
    allowed = {("fan", i) for i in going}
    for key, rule in BY_KEY.items():
        allowed |= {(rule.model.__tablename__, i) for i in planned[key]}
    for (table, pk), row in before.items():
        follows = (row.get("fan_id") in going
                   or (table == "webhook_attempt" and row["delivery_id"] in
                       planned["webhook_deliveries"])
                   or (table == "presave" and row["authorization_id"] in grants))
        if follows:
            allowed.add((table, pk[0]))
    changed = sorted((table, pk[0]) for (table, pk), row in before.items()
                     if after.get((table, pk)) != row)
    assert [c for c in changed if c not in allowed] == []
    for (table, pk), row in after.items():
        if (table, pk) in before:
            continue
        assert table == "audit_entry", f"a new {table} row"  # the run's own entry
    erased = {pk[0] for (table, pk), row in after.items() if table == "fan" and row["erased_at"]}
    assert erased == going - set(planned["unfinished_fans"])
    answers = {(table, pk[0]) for (table, pk), row in after.items()
               if ANSWER_REMOVED in (row.get("reason"), row.get("last_error"))}
    assert answers == {(BY_KEY[key].model.__tablename__, i) for key in
                       ("message_answers", "reminder_answers", "notice_answers")
                       for i in planned[key]}


def test_a_fan_who_cannot_be_erased_is_left_for_the_next_run(app, own_label):
    label_id, slug = own_label
    now = now_utc()
    with app.app_context(), scoped(Scope.label(label_id, actor="test")):
        s = Seed(label_id, db.session.scalar(select(Artist.id).where(Artist.slug == slug)), now)
        release = s.release("Gone", -100, -90, "archived")
        fans = [s.fan(key, True, 200) for key in ("x", "y")]
        for fan in fans:
            s.consent(fan, EMAIL_MARKETING, 100, withdrawn_days=40)
            s.presave(release, fan, "spotify", "delivered")
        s.grant(fans[0], "spotify", True).refresh_token_sealed = "sealed with a key long gone"
        db.session.commit()
        ids = [fan.id for fan in fans]
        assert run.plan(label_id, now).due["withdrawn_fans"] == ids
        last_entry = db.session.scalar(select(func.max(AuditEntry.id)))
        done = run.apply(label_id, now)
        assert done["withdrawn_fans"] == 1
        assert [db.session.get(Fan, pk).erased_at is None for pk in ids] == [True, False]
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.id > last_entry, AuditEntry.action == "retention.run")).one()
        assert entry.detail["counts"]["withdrawn_fans"] == 1
        erased = db.session.scalars(select(AuditEntry).where(
            AuditEntry.id > last_entry, AuditEntry.action == "fan.erased")).one()
        assert (erased.object_id, erased.detail["reason"]) == (
            ids[1], "Data retention: withdrew their consents")
        # The grant no key opens would stop any later reading of every secret (rotate-keys).
        db.session.execute(delete(Authorization).where(Authorization.fan_id == ids[0]))
        db.session.commit()


def test_the_instance_audit_entries_follow_their_own_limit(app):
    tag = uuid.uuid4().hex[:8]
    now = now_utc()
    with app.app_context(), scoped(Scope.platform("test")):
        ids = {days: db.session.execute(insert(AuditEntry).values(
            at=now - timedelta(days=days), label_id=None, actor_kind="user",
            actor_name="admin@presave.test", action="label.created",
            object_name=f"{tag}-{days}").returning(AuditEntry.id)).scalar()
            for days in (3 * 365 + 5, 3 * 365 - 5)}
        db.session.commit()
        found = run.plan(None, now)
        assert ids[3 * 365 + 5] in found.due["audit_entries"]
        assert ids[3 * 365 - 5] not in found.due["audit_entries"]
        done = run.apply(None, now)
        assert done["audit_entries"] == len(found.due["audit_entries"])
        left = db.session.scalars(select(AuditEntry.object_name).where(
            AuditEntry.object_name.like(f"{tag}-%"))).all()
        assert left == [f"{tag}-{3 * 365 - 5}"]
        with pytest.raises(ValueError):
            run.apply(None, now + timedelta(minutes=5))


def test_the_nightly_job_applies_each_label_in_a_context_of_its_own(app, seeded):
    seed, other = seeded
    with app.app_context():
        done = retention_jobs.nightly(seed.label_id)
    assert done == {seed.label_id: {key: len(seed.expected.get(key, ())) for key in BY_KEY}}
    with app.app_context(), scoped(Scope.platform("test")):
        assert run.plan(other.label_id, now_utc()).total == sum(
            len(ids) for ids in other.expected.values())  # the other label waits for its own


def test_the_nightly_run_is_registered_at_a_quiet_hour_in_utc():
    scheduler = CronScheduler(connection=None)
    scheduler.load_config_from_file(str(Path(app_package.__file__).parent / "jobs" / "cron.py"))
    assert [(job.queue_name, job.cron, job.args, job.job_options["job_timeout"])
            for job in scheduler.get_jobs() if job.func is retention_jobs.nightly] == [
        (retention_jobs.QUEUE, "41 2 * * *", (None,), retention_jobs.TIMEOUT)]
    evening = datetime(2026, 12, 6, 22, 0, tzinfo=timezone.utc)
    assert retention_jobs.next_run(evening) == datetime(2026, 12, 7, 2, 41, tzinfo=timezone.utc)
    assert retention_jobs.next_run(evening.replace(hour=1)) == evening.replace(hour=2, minute=41)


# --- the settings page ----------------------------------------------------------------------------

GOOD = {"unfinished_fan_days": "45", "withdrawn_fan_days": "14", "ledger_months": "24",
        "outbound_days": "60", "cookie_choice_days": "365", "audit_days": "730"}


@pytest.mark.parametrize("field, value, says", [
    ("audit_days", "200", "At least 365 days (the database refuses to delete younger audit "
                          "entries)"),
    ("audit_days", "abc", "Give a whole number of days, such as 1095"),
    ("ledger_months", "²", "Give a whole number of months, such as 18"),
    ("withdrawn_fan_days", "-3", "Give a whole number of days, such as 30"),
    ("outbound_days", "99999999999999999999", "At most 3650 days"),
    ("audit_days", "9" * 5000, "At most 3650 days"),
    ("cookie_choice_days", "", "Give a whole number of days, such as 180"),
    ("outbound_days", "3", "At least 7 days"),
])
def test_a_bad_limit_is_refused_with_its_message(app, login, field, value, says):
    label_id, _ = make_label(app)
    admin = login(ADMIN)
    with app.app_context(), scoped(Scope.platform("test")):
        last_entry = db.session.scalar(select(func.max(AuditEntry.id)))
    answer = admin.post(f"/retention/save?label={label_id}", data={**GOOD, field: value})
    body = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert says in body.replace("&#39;", "'")
    assert 'aria-invalid="true"' in body
    with app.app_context(), scoped(Scope.platform("test")):
        assert db.session.scalar(select(RetentionPolicy).where(
            RetentionPolicy.label_id == label_id)) is None
        assert db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.id > last_entry, AuditEntry.label_id == label_id)).all() == []


def test_a_label_admin_sets_the_limits_and_the_change_is_audited(app, login):
    owner = login(OWNER)
    page = owner.get("/retention/")
    assert page.status_code == 200 and "What the next run will delete" in page.get_data(
        as_text=True)
    assert 'value="30"' in page.get_data(as_text=True)  # the defaults, before any save
    with app.app_context(), scoped(Scope.platform("test")):
        northwind = db.session.scalar(select(Label.id).where(Label.slug == "northwind"))
        last_entry = db.session.scalar(select(func.max(AuditEntry.id)))
    try:
        saved = owner.post("/retention/save", data=GOOD)
        assert saved.status_code == 302
        shown = owner.get("/retention/").get_data(as_text=True)
        assert 'value="730"' in shown and 'value="24"' in shown
        with app.app_context(), scoped(Scope.platform("test")):
            row = db.session.scalar(select(RetentionPolicy).where(
                RetentionPolicy.label_id == northwind))
            assert row.values() == {key: int(value) for key, value in GOOD.items()}
            entries = db.session.scalars(select(AuditEntry).where(
                AuditEntry.id > last_entry, AuditEntry.object_type == "retention")).all()
            assert [(e.label_id, e.actor_name, e.changes["audit_days"]) for e in entries] == [
                (northwind, OWNER, [None, 730])]
    finally:
        with app.app_context(), scoped(Scope.platform("test")):
            db.session.execute(delete(RetentionPolicy).where(
                RetentionPolicy.label_id == northwind))
            db.session.commit()
    assert login(STAFF).get("/retention/").status_code in (302, 403)


def test_the_page_counts_only_its_own_label(app, login, seeded):
    seed, other = seeded
    with app.app_context(), scoped(Scope.platform("test")):
        northwind = db.session.scalar(select(Label.id).where(Label.slug == "northwind"))
        own = run.counts(northwind, now_utc())
        own["events"] = event_months.due_count(now_utc(), northwind)
    page = login(OWNER).get(f"/retention/?label={seed.label_id}").get_data(as_text=True)
    shown = dict(re.findall(r'data-rule="(\w+)"><td>.*?<span class="retention-count">'
                            r'([\d,]+)</span>', page))
    assert {key: int(n.replace(",", "")) for key, n in shown.items()} == own
    assert seed.label_name not in page and "Northwind Records" in page
    admin_page = login(ADMIN).get(f"/retention/?label={seed.label_id}").get_data(as_text=True)
    shown = dict(re.findall(r'data-rule="(\w+)"><td>.*?<span class="retention-count">'
                            r'([\d,]+)</span>', admin_page))
    with app.app_context(), scoped(Scope.platform("test")):
        seed_events = event_months.due_count(now_utc(), seed.label_id)
    assert {key: int(n.replace(",", "")) for key, n in shown.items()} == {
        key: len(seed.expected.get(key, ())) for key in BY_KEY} | {"events": seed_events}
