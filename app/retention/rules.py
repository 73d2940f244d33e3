"""What each retention rule finds due for one label at ``now`` (``due``: a condition on its
model's rows), and what the run does to those rows (``act``). The run (app.retention.run)
lists the due rows first, then acts batch by batch on those still due, so a row that stopped
being due meanwhile (a fan pre-saved again) is left alone.

The words the rules use:

- A **settled** pre-save is delivered, failed or cancelled: not pending, retrying or in
  progress. A fan's **pending work** is a pre-save not settled, a "tell me when pre-save
  opens" ask not sent yet, a message row queued or being sent, or a change for the label's
  email tools still on its way (it reads the fan when it goes). No rule deletes or erases a
  fan with pending work.
- A **keeping consent** is a live (never withdrawn) marketing consent, by email or SMS, or a
  Future Save consent: the fan asked for something ongoing, and their details are kept for it.
  The other consents are for one message or one act (the release-day reminder, the opening
  notice, a follow) and keep nothing once it happened.
- A fan **never completed a pre-save** when no pre-save row of any state or action names them.
  A remind-mode reminder sign-up is a pre-save (action remind) and a cancelled pre-save is
  still counted by the ledger, so either one means the fan completed a pre-save. An opening
  notice is not a pre-save: it keeps the fan only while it waits.
- A fan **withdrew their consents** when they withdrew at least one and hold no keeping
  consent; the limit counts from their last withdrawal.
- A grant has **expired** when the platform's fixed lifetime has passed since it was given
  (Spotify: 180 days), or when it has no refresh token and its access token's expiry has
  passed. It is **revoked** when its state says so (the fan disconnected, or the platform
  refused it). A grant is **needed** by a pre-save not settled that uses it, or by the fan's
  live Future Save consent on its platform.
- **Erased** is app.presaves.fan_data.erase, the one erasure path: the fan's email tools and
  webhooks hear of it, their grants, consents, first touch and opening notices go, and the
  fan's row stays, empty, so every count that includes them stays whole.
- A **server's answer** is what a mail or SMS server replied to a message that failed or
  bounced. It can quote the address, so it is personal data: it is kept on the message row,
  on the reminder (a pre-save of action remind) and on the opening notice it failed.

**Personal data removed from a ledger row, counts kept**: a pre-save or message row is never
deleted, and its release, platform, action, origin, state, attempts and times stay. What is
personal in it is the fan it names and a server's answer. The fan is erased once every
pre-save of theirs is of a release out longer than the limit (and nothing keeps them): the row
then names an empty fan ("Erased"). A fan with a keeping consent keeps their details, and so
their old rows keep naming them, for as long as that consent lasts. A server's answer is
replaced by ANSWER_REMOVED. Fans deleted (never completed a pre-save) are in no ledger, so
only the roster's count of fans held (Artist.fan_count) goes down.

Fan rules take precedence in their order: each fan is due under one rule at most, and the
rules after them leave that fan's rows to the fan's own rule.
"""
import calendar
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import and_, delete, literal, or_, select, update

from app.extensions import db
from app.models import (AuditEntry, Authorization, AudienceChange, Consent, ConversionEvent,
                        CookieChoice, Fan, Label, Message, MessageRecipient, OpeningNotice,
                        PreSave, Release, WebhookDelivery)
from app.models.ad_pixels import FAILED as CONVERSION_FAILED, SENT as CONVERSION_SENT
from app.models.audience import DONE as CHANGE_DONE, FAILED as CHANGE_FAILED
from app.models.authorization import ACTIVE, REVOKED
from app.models.fan import EMAIL_MARKETING, FUTURE_SAVE_PREFIX, SMS_MARKETING
from app.models.message import (BOUNCED, FAILED as MESSAGE_FAILED,
                                IN_PROGRESS as MESSAGE_IN_PROGRESS, QUEUED, RECONSENT)
from app.models.opening_notice import FAILED as NOTICE_FAILED, PENDING as NOTICE_PENDING
from app.models.presave import FAILED, IN_PROGRESS, PENDING, REMIND
from app.models.webhook import DELIVERED as WEBHOOK_DELIVERED, FAILED as WEBHOOK_FAILED
from app.platform_table import PLATFORM_KEYS, descriptor
from app.presaves import fan_data

ANSWER_REMOVED = "the server's answer is no longer kept (data retention)"
AT_ONCE = None  # a rule with no limit of its own: due at the next run
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """Which label (None: the rows of no label), when, and the limits in force."""

    label_id: int | None
    now: datetime
    limits: dict

    def before(self, column):
        """The instant before which data under the limit ``column`` is due."""
        value = self.limits[column]
        if column.endswith("_months"):
            return months_before(self.now, value)
        return self.now - timedelta(days=value)


def months_before(moment, months):
    """The same day and time ``months`` calendar months earlier (the month's last day where
    that month is shorter)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True)
class Rule:
    key: str
    model: type
    title: str   # which rows, in words
    action: str  # what the run does to each
    limit: str | None  # the policy column the rule's age comes from (AT_ONCE: none)
    due: Callable  # (Context) -> a condition on ``model``
    act: Callable  # (Context, ids still due) -> how many rows it changed or deleted


def _deleting(model):
    def act(ctx, ids):
        return _delete(model, ids)
    return act


def _clearing(model, column, value=None):
    def act(ctx, ids):
        return _clear(model, model.id.in_(ids), **{column: value})
    return act


# --- fans ------------------------------------------------------------------------------------

UNSETTLED = (PENDING, IN_PROGRESS)
KEEPING = or_(Consent.purpose.in_((EMAIL_MARKETING, SMS_MARKETING)),
              Consent.purpose.startswith(FUTURE_SAVE_PREFIX, autoescape=True))


def _fan_has(model, *where):
    return select(model.id).where(model.fan_id == Fan.id, *where).exists()


def _nothing_keeps(ctx):
    """The label's fans not erased yet, with no keeping consent and no pending work."""
    return and_(
        Fan.label_id == ctx.label_id, Fan.erased_at.is_(None),
        ~_fan_has(Consent, Consent.withdrawn_at.is_(None), KEEPING),
        ~_fan_has(PreSave, PreSave.state.in_(UNSETTLED)),
        ~_fan_has(OpeningNotice, OpeningNotice.state == NOTICE_PENDING),
        ~_fan_has(MessageRecipient, MessageRecipient.state.in_((QUEUED, MESSAGE_IN_PROGRESS))),
        ~_fan_has(AudienceChange, AudienceChange.state.in_(UNSETTLED)))


def unfinished(ctx):
    """Never completed a pre-save, nothing keeps them, and quiet since the limit: joined,
    gave or withdrew a consent, asked for or got an opening notice, all before it."""
    since = ctx.before("unfinished_fan_days")
    return and_(
        _nothing_keeps(ctx), ~_fan_has(PreSave), Fan.created_at < since,
        ~_fan_has(Consent, or_(Consent.given_at >= since, Consent.withdrawn_at >= since)),
        ~_fan_has(OpeningNotice, or_(OpeningNotice.created_at >= since,
                                     OpeningNotice.sent_at >= since)))


def withdrawn(ctx):
    """Completed a pre-save, every one settled, withdrew a consent and holds no keeping one,
    the last withdrawal before the limit, and quiet since: no consent given, pre-save made or
    delivered after it."""
    since = ctx.before("withdrawn_fan_days")
    return and_(_nothing_keeps(ctx), _fan_has(PreSave),
                _fan_has(Consent, Consent.withdrawn_at.is_not(None)),
                ~_fan_has(Consent, or_(Consent.withdrawn_at >= since, Consent.given_at >= since)),
                ~_fan_has(PreSave, or_(PreSave.created_at >= since,
                                       PreSave.delivered_at >= since)))


def ledger_done(ctx):
    """Every pre-save settled and of a release out before the limit, no message or opening
    notice since it, nothing keeps them, and not due as withdrawn."""
    since = ctx.before("ledger_months")
    recent_release = (select(PreSave.id).join(Release, Release.id == PreSave.release_id)
                      .where(PreSave.fan_id == Fan.id, Release.release_at >= since).exists())
    return and_(_nothing_keeps(ctx), _fan_has(PreSave), ~recent_release,
                ~_fan_has(MessageRecipient, MessageRecipient.created_at >= since),
                ~_fan_has(OpeningNotice, OpeningNotice.created_at >= since),
                ~withdrawn(ctx))


def _fans_going(ctx):
    """The fans this run erases or deletes."""
    return select(Fan.id).where(or_(unfinished(ctx), withdrawn(ctx), ledger_done(ctx)))


def _erasing(reason):
    def act(ctx, ids):
        return _erase_fans(ids, f"Data retention: {reason}")
    return act


def _erase_fans(ids, reason):
    """Each fan erased in a savepoint of its own: one that cannot be (a token sealed with a
    key since removed) is logged and left for the next run, and the others are erased."""
    erased = 0
    for fan in db.session.scalars(select(Fan).where(Fan.id.in_(ids))).all():
        try:
            with db.session.begin_nested():
                fan_data.erase(fan, reason=reason)
            erased += 1
        except Exception:
            log.exception("retention: fan %s of label %s could not be erased", fan.id,
                          fan.label_id)
    return erased


def _known_elsewhere():
    """In a message's ledger (its counts include the fan), or once on a marketing list (the
    label's email tools may hold the fan): such a fan is erased, never simply deleted."""
    return or_(_fan_has(MessageRecipient),
               _fan_has(Consent, Consent.purpose.in_((EMAIL_MARKETING, SMS_MARKETING))))


FAN_RULES = [
    Rule("unfinished_fans", Fan, "Fans who never completed a pre-save", "deleted",
         "unfinished_fan_days",
         lambda ctx: and_(unfinished(ctx), ~_known_elsewhere()), _deleting(Fan)),
    Rule("unfinished_messaged_fans", Fan, "Fans who never completed a pre-save but were "
         "messaged or once agreed to marketing", "erased (the empty row keeps the counts)",
         "unfinished_fan_days", lambda ctx: and_(unfinished(ctx), _known_elsewhere()),
         _erasing("never completed a pre-save")),
    Rule("withdrawn_fans", Fan, "Fans who withdrew their consents, every pre-save settled",
         "erased (contact data, consents, grants)", "withdrawn_fan_days", withdrawn,
         _erasing("withdrew their consents")),
    Rule("ledger_fans", Fan, "Fans whose every pre-saved release is out",
         "erased; their ledger rows stay, anonymous", "ledger_months", ledger_done,
         _erasing("every pre-saved release out past the ledger limit")),
]


# --- servers' answers -------------------------------------------------------------------------

def _answers(model, column, failed, old, leaving=True):
    """A rule's condition for the servers' answers in ``column`` of ``model``: rows ended as
    ``failed``, with an answer, older than the ledger limit (``old``) or, where ``leaving``,
    of a fan erased already or by this run."""
    def due(ctx):
        text = getattr(model, column)
        fans = _fans_going(ctx)
        when = or_(old(ctx), model.fan_id.in_(
            select(Fan.id).where(Fan.erased_at.is_not(None)).union(fans))) if leaving \
            else and_(old(ctx), model.fan_id.not_in(fans))
        return and_(model.label_id == ctx.label_id, failed, text.is_not(None),
                    text != ANSWER_REMOVED, when)
    return due


ANSWER_RULES = [
    Rule("message_answers", MessageRecipient, "Servers' answers in the message ledger",
         "removed", "ledger_months",
         _answers(MessageRecipient, "reason",
                  MessageRecipient.state.in_((MESSAGE_FAILED, BOUNCED)),
                  lambda ctx: MessageRecipient.created_at < ctx.before("ledger_months")),
         _clearing(MessageRecipient, "reason", ANSWER_REMOVED)),
    Rule("reminder_answers", PreSave, "Servers' answers on failed reminders in the delivery "
         "ledger", "removed", "ledger_months",
         _answers(PreSave, "last_error", and_(PreSave.action == REMIND, PreSave.state == FAILED),
                  lambda ctx: PreSave.release_id.in_(select(Release.id).where(
                      Release.release_at < ctx.before("ledger_months")))),
         _clearing(PreSave, "last_error", ANSWER_REMOVED)),
    # An erased fan's notices are deleted with the rest, so only the old ones are left here.
    Rule("notice_answers", OpeningNotice, "Servers' answers on failed opening notices",
         "removed", "ledger_months",
         _answers(OpeningNotice, "last_error", OpeningNotice.state == NOTICE_FAILED,
                  lambda ctx: OpeningNotice.created_at < ctx.before("ledger_months"),
                  leaving=False),
         _clearing(OpeningNotice, "last_error", ANSWER_REMOVED)),
]


# --- grants ------------------------------------------------------------------------------------

def grants_due(ctx):
    """Revoked, expired, or needed by nothing; never one whose fan is going anyway (the
    fan's erasure takes it), nor an active one while a Re-consent ask for its fan and
    platform waits to go out (the ask reads it to know the fan must reconnect)."""
    grant = Authorization
    lifetime_over = [and_(grant.platform == key,
                          grant.granted_at <= ctx.now - descriptor(key).grant_lifetime)
                     for key in PLATFORM_KEYS if descriptor(key).grant_lifetime]
    expired = or_(*lifetime_over, and_(grant.refresh_token_sealed.is_(None),
                                       grant.expires_at.is_not(None), grant.expires_at <= ctx.now))
    used = select(PreSave.id).where(PreSave.authorization_id == grant.id,
                                    PreSave.state.in_(UNSETTLED)).exists()
    future_save = select(Consent.id).where(
        Consent.fan_id == grant.fan_id, Consent.withdrawn_at.is_(None),
        Consent.purpose == literal(FUTURE_SAVE_PREFIX) + grant.platform).exists()
    asked_to_renew = select(MessageRecipient.id).where(
        MessageRecipient.fan_id == grant.fan_id, MessageRecipient.platform == grant.platform,
        MessageRecipient.state.in_((QUEUED, MESSAGE_IN_PROGRESS)),
        MessageRecipient.message_id.in_(select(Message.id).where(Message.kind == RECONSENT))
    ).exists()
    return and_(grant.label_id == ctx.label_id,
                or_(grant.state == REVOKED, expired, ~or_(used, future_save)),
                ~and_(grant.state == ACTIVE, asked_to_renew),
                grant.fan_id.not_in(_fans_going(ctx)))


def _delete_grants(ctx, ids):
    # The ledger rows keep their place; they only stop pointing at the grant.
    _clear(PreSave, PreSave.authorization_id.in_(ids), authorization_id=None)
    return _delete(Authorization, ids)


GRANT_RULES = [
    Rule("grants", Authorization, "Platform grants revoked, expired, or needed by no pending "
         "pre-save or Future Save", "deleted", AT_ONCE, grants_due, _delete_grants),
]


# --- what left the instance, cookie answers, the audit trail ----------------------------------

def _older(model, column, limit, *where):
    def due(ctx):
        return and_(model.label_id == ctx.label_id, getattr(model, column) < ctx.before(limit),
                    *where)
    return due


OUTBOUND_RULES = [
    Rule("webhook_deliveries", WebhookDelivery,
         "Webhook deliveries delivered or failed, with their event bodies",
         "deleted with their attempts", "outbound_days",
         _older(WebhookDelivery, "created_at", "outbound_days",
                WebhookDelivery.state.in_((WEBHOOK_DELIVERED, WEBHOOK_FAILED))),
         _deleting(WebhookDelivery)),
    Rule("conversion_user_agents", ConversionEvent, "Browsers' user agents in conversions "
         "sent to ad platforms", "removed", "outbound_days",
         _older(ConversionEvent, "created_at", "outbound_days",
                ConversionEvent.state.in_((CONVERSION_SENT, CONVERSION_FAILED)),
                ConversionEvent.user_agent.is_not(None)),
         _clearing(ConversionEvent, "user_agent")),
    Rule("audience_addresses", AudienceChange, "Addresses sealed for email tools' finished "
         "changes", "removed", "outbound_days",
         _older(AudienceChange, "created_at", "outbound_days",
                AudienceChange.state.in_((CHANGE_DONE, CHANGE_FAILED)),
                AudienceChange.email_sealed.is_not(None)),
         _clearing(AudienceChange, "email_sealed")),
]
COOKIE_RULES = [
    Rule("cookie_choices", CookieChoice, "Visitors' answers to the ad cookie question",
         "deleted", "cookie_choice_days",
         _older(CookieChoice, "created_at", "cookie_choice_days"),
         _deleting(CookieChoice)),
]
AUDIT_RULE = Rule("audit_entries", AuditEntry, "Audit trail entries", "deleted", "audit_days",
                  _older(AuditEntry, "at", "audit_days"),
                  _deleting(AuditEntry))
# A deleted label's entries outlive it, under the instance's limit (the run of no label).
GONE_LABELS_AUDIT_RULE = Rule(
    "gone_labels_audit_entries", AuditEntry, "Audit trail entries of deleted labels", "deleted",
    "audit_days", lambda ctx: and_(AuditEntry.label_id.is_not(None),
                                   AuditEntry.label_id.not_in(select(Label.id)),
                                   AuditEntry.at < ctx.before("audit_days")),
    _deleting(AuditEntry))

# In the order the run applies them: the fans first, so the rules after see who is going.
RULES = [*FAN_RULES, *ANSWER_RULES, *GRANT_RULES, *OUTBOUND_RULES, *COOKIE_RULES, AUDIT_RULE]
BY_KEY = {rule.key: rule for rule in RULES}


# --- shared --------------------------------------------------------------------------------

def _delete(model, ids):
    return db.session.execute(delete(model).where(model.id.in_(ids)),
                              execution_options={"synchronize_session": False}).rowcount


def _clear(model, where, **values):
    """Set ``values`` on the rows ``where`` picks, leaving their last change time as it was:
    clearing old data is not an event of the row's own."""
    if "updated_at" in model.__table__.c:
        values["updated_at"] = model.updated_at
    return db.session.execute(update(model).where(where).values(**values),
                              execution_options={"synchronize_session": False}).rowcount
