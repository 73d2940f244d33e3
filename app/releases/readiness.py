"""What will go wrong on release day, said before it happens, with what to do about it.

Four checks, for releases whose instant is still ahead:
- grants that will have expired by the release instant (presaves.grant_outlives);
- enabled platforms whose item is not found yet (no StreamingLink with an item),
  once the pre-save is open;
- enabled platforms without credentials (registry mode remind or link), or
  running against the built-in sandbox, or through an app that connects only a few fans
  (Spotify's development mode);
- fans who will be written to on release day over a channel that cannot reach them (email
  or SMS not set up, email caught by the development mail catcher).

And, from the release instant on, the streaming links (app.jobs.links): platforms still
not found after a look-up ("not found yet", with the next look), and those it gave up on
after 72 hours.
"""
from dataclasses import dataclass, replace

from flask import current_app
from sqlalchemy import func, select

from app.releases import links as streaming_links
from app.extensions import db
from app.localtime import now_utc
from app.messaging import sms
from app.models import Authorization, Consent, Fan, PreSave, StreamingLink
from app.models.authorization import ACTIVE
from app.models.fan import EMAIL_MARKETING, RELEASE_REMINDER, SMS_MARKETING, future_save_purpose
from app.models.message import EMAIL, SMS
from app.models.presave import FUTURE_SAVE, PENDING, SAVE
from app.models.release import ARCHIVED, RELEASED
from app.platform_table import PLATFORM_KEYS, TABLE, descriptor, saved_kind
from app.platforms import app_users
from app.platforms.registry import LINK, REMIND, label_credentials, resolve
from app.presaves.record import grant_outlives
from app.platform_table import name as platform_name
from app.tenants.roles import LABEL_ADMIN_TASK, STAFF_TASK

CREDENTIALS_PAGE = "Account → Platform credentials"
# Who can do what a notice asks: the label's admins (credentials) or its staff (the release).
LABEL_ADMIN, STAFF = LABEL_ADMIN_TASK, STAFF_TASK
ASK = {LABEL_ADMIN: f"Ask your label admin to add them under {CREDENTIALS_PAGE}.",
       STAFF: "Ask your label's staff: they can do it on this release's page."}


@dataclass(frozen=True)
class Notice:
    # grants_expire | item_missing | no_credentials | sandbox | links_missing | links_gave_up
    # | future_saves_expire | user_limit | email_not_set_up | email_caught | sms_not_set_up
    kind: str
    platforms: tuple
    title: str
    what_happens: str
    what_to_do: str
    who: str = STAFF  # who can do what_to_do

    def addressed(self, may_act):
        """The notice as its reader should read it: what to do, or whom to ask."""
        return self if may_act else replace(self, what_to_do=ASK[self.who])

    def as_dict(self):
        return {"kind": self.kind, "platforms": list(self.platforms), "title": self.title,
                "what_happens": self.what_happens, "what_to_do": self.what_to_do}


def warnings(release, now=None, may_do=None):
    """The release's notices: before release day what will fail; from then on the links
    still missing. None once archived. ``may_do(who)``: whether the reader can do what a
    notice asks; when not, it says whom to ask."""
    now = now or now_utc()
    if release.status == ARCHIVED:
        found = []
    elif release.status == RELEASED or release.release_at <= now:
        found = missing_links(release)
    else:
        setups = platform_setups(release)
        found = [*expiring_grants(release, now), *missing_items(release, now),
                 *missing_credentials(setups), *user_limits(release, setups),
                 *unsendable_messages(release)]
    return found if may_do is None else [n.addressed(may_do(n.who)) for n in found]


def _day(instant):
    return instant.strftime("%d %b %Y")


def names(platforms):
    """'Spotify', 'Spotify and TIDAL', 'Spotify, Deezer and TIDAL'."""
    said = [platform_name(key) for key in platforms]
    return said[0] if len(said) == 1 else f"{', '.join(said[:-1])} and {said[-1]}"


def expiring_grants(release, now):
    for platform, lifetime in ((d.key, d.grant_lifetime) for d in TABLE if d.grant_lifetime):
        if platform not in (release.platforms or []):
            continue
        doomed = [origin for granted_at, origin in _pending_grants(release, platform)
                  if not grant_outlives(platform, granted_at, release)]
        new_ones_die = not grant_outlives(platform, now, release)
        if doomed or new_ones_die:
            yield _expiry_notice(release, platform, lifetime, len(doomed),
                                 doomed.count(FUTURE_SAVE))
        if now < release.presave_opens_at:
            waiting = _future_savers_doomed(release, platform)
            if waiting:
                yield _future_save_notice(release, platform, waiting)


def _pending_grants(release, platform):
    return db.session.execute(
        select(Authorization.granted_at, PreSave.origin)
        .join(PreSave, PreSave.authorization_id == Authorization.id)
        .where(PreSave.release_id == release.id, PreSave.platform == platform,
               PreSave.action == SAVE, PreSave.state == PENDING)).all()


def _future_savers_doomed(release, platform):
    """Fans with Future Save on ``platform`` whose grant will have ended by the release (their
    pre-save is added at the opening)."""
    lifetime = descriptor(platform).grant_lifetime
    agreed = select(Consent.id).where(
        Consent.fan_id == Authorization.fan_id, Consent.withdrawn_at.is_(None),
        Consent.purpose == future_save_purpose(platform)).exists()
    return db.session.scalar(select(func.count(Authorization.id)).where(
        Authorization.artist_id == release.artist_id, Authorization.platform == platform,
        Authorization.state == ACTIVE, Authorization.granted_at <= release.release_at - lifetime,
        agreed))


def _future_save_notice(release, platform, count):
    name = platform_name(platform)
    return Notice(
        "future_saves_expire", (platform,),
        f"Future Save: {name} permissions end before the release for {_fans(count)}",
        f"{_fans(count).capitalize()} asked on an earlier release to have "
        f"{release.artist.name}'s releases saved on {name}, but {name} will have ended their "
        f"permission by the release on {_day(release.release_at)}. Their pre-save is added "
        "when the pre-save opens and they are asked to reconnect then (the Re-consent "
        "message); those who do not reconnect are not saved.",
        "Keep the Re-consent automation on (Messages) so they are asked; fans who left no "
        "email or phone cannot be asked.")


def _expiry_notice(release, platform, lifetime, doomed, future=0):
    name, safe_from = platform_name(platform), _day(release.release_at - lifetime)
    of_them = f" ({future} of them added by Future Save)" if future else ""
    happens = (f"{name} ends a fan's permission {lifetime.days} days after it is given. "
               f"{doomed} pending {name} pre-save(s){of_them} rely on a permission that will "
               f"have ended by the release on {_day(release.release_at)}: they will fail on "
               f"release day. Fans who pre-save before {safe_from} are in the same position.")
    todo = (f"Ask those fans to pre-save again on or after {safe_from} (the same fan page; "
            f"a fresh permission then lasts until the release), or open the pre-save later.")
    return Notice("grants_expire", (platform,), f"{name} permissions expire before the release",
                  happens, todo)


def missing_items(release, now):
    if now < release.presave_opens_at:
        return []
    found = set(db.session.scalars(select(StreamingLink.platform).where(
        StreamingLink.release_id == release.id, StreamingLink.item_id.is_not(None))))
    missing = [p for p in release.platforms or [] if p in PLATFORM_KEYS and p not in found]
    if not release.is_album:
        return [_item_notice(release, tuple(missing))] if missing else []
    albums = tuple(p for p in missing if saved_kind(p, True) == "album")
    tracks = tuple(p for p in missing if p not in albums)
    return [*([_album_notice(release, albums)] if albums else []),
            *([_focus_track_notice(release, tracks)] if tracks else [])]


def _item_notice(release, platforms):
    said = names(platforms)
    if not release.isrc:
        return Notice("item_missing", platforms, f"No ISRC: the track cannot be found on {said}",
                      f"Without an ISRC nothing can be looked up: pre-saves on {said} will "
                      "wait 72 hours after the release and then fail.",
                      "Add the ISRC on the Edit page.")
    return Notice("item_missing", platforms, f"Not found on {said} yet",
                  f"ISRC {release.isrc} is not listed on {said} yet. On release day we look "
                  "again; while it is missing, those pre-saves wait and are retried for "
                  "72 hours, then fail.",
                  f"Check with your distributor that the track was delivered to {said} with "
                  "this ISRC; it is picked up by itself once listed.")


def _album_notice(release, platforms):
    said, kind = names(platforms), release.kind_label
    return Notice("item_missing", platforms, f"The {kind} is not found on {said} yet",
                  f"UPC {release.upc} is not listed on {said} yet. On release day we look "
                  f"again; while it is missing, those pre-saves wait and are retried for "
                  "72 hours, then fail.",
                  f"Check with your distributor that the {kind} was delivered to {said} with "
                  "this UPC; it is picked up by itself once listed. Or set the album's link "
                  "in the Streaming links panel of this page.")


def _focus_track_notice(release, platforms):
    said, kind = names(platforms), release.kind_label
    return Notice("focus_track_missing", platforms, f"No focus track on {said}",
                  f"{said} cannot save an {kind}: pre-saves there save its focus track, and "
                  f"none is known on {said}. They wait 72 hours after the release, then fail.",
                  f"Set the focus track's link on {said} in the Streaming links panel of "
                  "this page.")


def missing_links(release):
    """After a look-up since the release instant: what is not found yet, or given up on."""
    checked = release.links_checked_at
    if checked is None or checked < release.release_at:
        return []
    platforms = tuple(streaming_links.missing(release))
    if not platforms:
        return []
    said = names(platforms)
    by_hand = (f"Set the link by hand in the Streaming links panel of this page, or check "
               f"with your distributor that the release was delivered to {said}.")
    if release.links_gave_up_at is not None:
        return [Notice("links_gave_up", platforms, f"Gave up on {said} after 72 h",
                       f"The release was looked up on {said} for 72 hours after it came out "
                       "and never found: the fan page shows no Stream Now button for "
                       f"{'it' if len(platforms) == 1 else 'them'}, and pre-saves waiting "
                       "there have failed.", by_hand)]
    next_look = release.links_next_check_at
    when = f"again at {next_look:%d %b %Y %H:%M} UTC and " if next_look else ""
    return [Notice("links_missing", platforms, f"Not found on {said} yet",
                   f"We look {when}keep looking until "
                   f"{release.release_at + streaming_links.GIVE_UP_AFTER:%d %b %Y %H:%M} UTC "
                   "(72 hours after the release); meanwhile the fan page has no Stream Now "
                   f"button for {said}.", by_hand)]


def platform_setups(release):
    """How the label runs each of the release's platforms (its credentials read once)."""
    stored = label_credentials(release.label_id)
    return [resolve(release.label_id, key, stored) for key in release.platforms or []]


def missing_credentials(setups):
    absent = tuple(s.key for s in setups if s.mode in (REMIND, LINK))
    sandboxed = tuple(s.key for s in setups if s.sandbox)
    return [notice(keys) for notice, keys in ((_credentials_notice, absent),
                                              (_sandbox_notice, sandboxed)) if keys]


def _credentials_notice(platforms):
    said = names(platforms)
    return Notice("no_credentials", platforms, f"No credentials for {said}",
                  f"Fans cannot connect {said}: they leave an email or phone number and are "
                  "sent the link on release day; nothing is saved to their library.",
                  f"Add credentials under {CREDENTIALS_PAGE}.", LABEL_ADMIN)


def _sandbox_notice(platforms):
    said = names(platforms)
    return Notice("sandbox", platforms, f"{said} run{'s' if len(platforms) == 1 else ''} "
                                        "in the sandbox",
                  f"There are no credentials for {said}, so those pre-saves go to the "
                  "built-in sandbox: they look real but nothing reaches fans' libraries.",
                  f"Add credentials under {CREDENTIALS_PAGE} before release day.", LABEL_ADMIN)


def user_limits(release, setups):
    """Platforms whose app connects only a few fans (Spotify's development mode): how many it
    has, said from the start, so the label hears before the page turns fans away."""
    for setup in setups:
        most = app_users.limit(setup)
        if most is not None:
            count = app_users.connected(release.label_id, setup.key, setup.own)
            yield _limit_notice(setup.key, most, count, setup.own)


def _limit_notice(platform, most, count, own):
    name = platform_name(platform)
    whose = "This label's" if own else "This instance's"
    title = (f"{name} is full: {count} of {most} fans connected" if count >= most else
             f"{name} connects only {most} fans: {count} so far")
    happens = (f"{whose} {name} app is in development mode, where {name} lets an app connect "
               f"at most {most} listeners (each added to its allow-list by hand). "
               + (f"All {most} places are taken: new fans on the page are offered a "
                  "release-day reminder instead of a pre-save." if count >= most else
                  f"After {most - count} more, new fans on the page are offered a release-day "
                  "reminder instead of a pre-save."))
    facts = descriptor(platform)
    todo = (f"Apply for {name}'s extended quota in the {facts.console[0]} "
            "(for registered businesses with a large audience); once it is granted, set the "
            f"quota mode to Extended under {CREDENTIALS_PAGE}."
            if own else f"Ask whoever runs this Presave instance to set {facts.quota_setting} "
                        f"once {name} grants the app its extended quota, or add your label's "
                        f"own app under {CREDENTIALS_PAGE}.")
    return Notice("user_limit", (platform,), title, happens, todo, LABEL_ADMIN)


OPERATOR_ASK = "Ask whoever runs this Presave instance to set up "


def unsendable_messages(release):
    """Fans of the release who will be written to on release day (a reminder, the It's out
    message) over a channel that cannot reach them: email not set up or only caught locally,
    SMS not set up or only logged."""
    config = current_app.config
    found = []
    by_email = _fans_reachable(release, EMAIL, (RELEASE_REMINDER, EMAIL_MARKETING))
    if by_email and not config.get("SMTP_HOST"):
        found.append(Notice(
            "email_not_set_up", (), "Email is not set up",
            f"{_fans(by_email)} will be written to by email on release day (their reminder or "
            "the It's out message). Nothing can be sent until a mail server is set up: "
            "the messages wait, and reminders stay pending.",
            OPERATOR_ASK + "email (SMTP_HOST and its login).", LABEL_ADMIN))
    elif by_email and config.get("MAIL_CATCHER_DIR"):
        found.append(Notice(
            "email_caught", (), "Email stays on this machine",
            f"{_fans(by_email)} will be written to by email on release day, but this instance "
            "sends email to its development mail catcher (Outbox): fans receive nothing.",
            OPERATOR_ASK + "a real mail server (SMTP_HOST).", LABEL_ADMIN))
    by_sms = _fans_reachable(release, SMS, (RELEASE_REMINDER, SMS_MARKETING), email=False)
    if by_sms and not sms.reaches_fans(config):
        found.append(Notice(
            "sms_not_set_up", (), "Text messages are not set up",
            f"{_fans(by_sms)} left only a phone number: their release-day text reaches "
            "nobody (it goes to the sandbox or the log, or is not sent at all in production).",
            OPERATOR_ASK + "an SMS provider (SMS_ACCOUNT_SID, SMS_AUTH_TOKEN, SMS_FROM).",
            LABEL_ADMIN))
    return found


def _fans(count):
    return f"{count} fan{'s' if count != 1 else ''}"


def _fans_reachable(release, channel, purposes, email=True):
    """How many fans with a pending pre-save of the release left a contact for ``channel``
    (for SMS: and no email, which would be used instead) and agreed to hear."""
    contact = Fan.email if channel == EMAIL else Fan.phone
    agreed = select(Consent.id).where(Consent.fan_id == Fan.id, Consent.purpose.in_(purposes),
                                      Consent.withdrawn_at.is_(None)).exists()
    pending = select(PreSave.id).where(PreSave.fan_id == Fan.id,
                                       PreSave.release_id == release.id,
                                       PreSave.state == PENDING).exists()
    stmt = select(func.count(Fan.id)).where(contact.is_not(None), agreed, pending)
    if not email:
        stmt = stmt.where(Fan.email.is_(None))
    return db.session.scalar(stmt)
