"""Everything held about one fan of one artist: handed to the fan as JSON, or erased at their
request. Erasure keeps the fan's row, empty, so the label's counts and the delivery ledger keep
the pre-saves (anonymous) while nothing names, reaches or places the fan any more."""
import logging

from sqlalchemy import delete, select, update

from app import audit
from app.crypto import keyring
from app.extensions import db
from app.languages import gettext as _
from app.localtime import now_utc
from app.models import (Authorization, Consent, FanSource, MessageRecipient, OpeningNotice,
                        PreSave, Release)
from app.models.audience import DELETE
from app.models.authorization import ACTIVE
from app.models.fan import ERASED
from app.models.message import QUEUED
from app.models.presave import CANCELLED, PENDING
from app.platform_table import name
from app.platforms.errors import PlatformError
from app.platforms.registry import platform_for
from app.audience_sync import changes as audience_changes
from app.webhooks import events, payloads

log = logging.getLogger(__name__)


def _when(moment):
    return moment.isoformat() if moment else None


def export(fan):
    """A plain dict of what is held about ``fan`` (never a token: those only go to platforms)."""
    label = fan.artist.label
    source = db.session.get(FanSource, fan.id)
    grants = db.session.scalars(select(Authorization).where(Authorization.fan_id == fan.id)
                                .order_by(Authorization.granted_at)).all()
    presaves = db.session.execute(
        select(PreSave, Release.title).join(Release, Release.id == PreSave.release_id)
        .where(PreSave.fan_id == fan.id).order_by(PreSave.created_at)).all()
    notices = db.session.execute(
        select(OpeningNotice, Release.title).join(Release, Release.id == OpeningNotice.release_id)
        .where(OpeningNotice.fan_id == fan.id).order_by(OpeningNotice.created_at)).all()
    return {
        "exported_at": _when(now_utc()),
        "artist": fan.artist.name,
        "controller": {"name": label.privacy_controller or label.name,
                       "contact": label.privacy_contact},
        "you": {"name": fan.name, "email": fan.email, "phone": fan.phone, "city": fan.city,
                "country": fan.country, "timezone": fan.timezone,
                "first_seen": _when(fan.created_at)},
        "came_from": None if source is None else {
            "referrer": source.referrer, "utm_source": source.utm_source,
            "utm_medium": source.utm_medium, "utm_campaign": source.utm_campaign},
        "consents": [{"purpose": c.purpose, "wording": c.wording, "given_at": _when(c.given_at),
                      "withdrawn_at": _when(c.withdrawn_at)}
                     for c in sorted(fan.consents, key=lambda c: c.given_at)],
        "platforms": [{"platform": name(g.platform), "account": g.platform_user_id,
                       "permissions": g.scopes, "storefront": g.storefront, "state": g.state,
                       "granted_at": _when(g.granted_at), "revoked_at": _when(g.revoked_at)}
                      for g in grants],
        "presaves": [{"release": title, "platform": name(p.platform), "action": p.action,
                      "origin": p.origin or "page",
                      "state": p.state, "created_at": _when(p.created_at),
                      "delivered_at": _when(p.delivered_at)} for p, title in presaves],
        "told_when_presave_opens": [{"release": title, "state": n.state,
                                     "asked_at": _when(n.created_at), "sent_at": _when(n.sent_at)}
                                    for n, title in notices],
        "not_included": _("The platforms' sign-in tokens: stored encrypted, sent only to the "
                          "platform that issued them."),
    }


def erase(fan, reason=ERASED):
    """Erase ``fan``: grants ended at the platform where its API allows it, then deleted;
    consents and where they came from deleted; pending pre-saves cancelled; the row emptied.
    The trail keeps who asked and ``reason`` (the fan's own request, staff's words, a
    retention rule), never who the fan was. Returns (platforms revoked, platforms whose access
    the fan removes in their settings)."""
    audit.record("fan.erased", label_id=fan.label_id, object_type="fan", object_id=fan.id,
                 name=f"Fan #{fan.id}", detail={"reason": reason})
    revoked, yours = [], []
    audience_changes.fan_changed(fan, DELETE)  # while the address is still known
    grants = db.session.scalars(select(Authorization).where(Authorization.fan_id == fan.id)).all()
    for grant in grants:
        if grant.state != ACTIVE:
            continue
        (revoked if _revoke(grant) else yours).append(name(grant.platform))
    db.session.execute(update(PreSave).where(
        PreSave.fan_id == fan.id, PreSave.state == PENDING)
        .values(state=CANCELLED, last_error=ERASED.lower(), authorization_id=None))
    db.session.execute(update(PreSave).where(PreSave.fan_id == fan.id)
                       .values(authorization_id=None))
    db.session.execute(update(MessageRecipient).where(
        MessageRecipient.fan_id == fan.id, MessageRecipient.state == QUEUED)
        .values(state=CANCELLED, reason=f"not sent: {ERASED.lower()}"))
    for model in (Authorization, Consent, FanSource, OpeningNotice):
        db.session.execute(delete(model).where(model.fan_id == fan.id))
    for column in ("name", "email", "phone", "city", "timezone"):
        setattr(fan, column, None)
    fan.erased_at = now_utc()
    db.session.expire(fan, ["consents"])
    events.emit(fan.label_id, "fan.erased",
                lambda: payloads.fan(fan, erased_at=fan.erased_at.isoformat()))
    return revoked, yours


def _revoke(grant):
    """Whether the platform ended the grant (False: it cannot, or did not answer)."""
    ring = keyring()
    token = (grant.refresh_token(ring) if grant.refresh_token_sealed
             else grant.access_token(ring) if grant.access_token_sealed else None)
    if token is None:
        return False
    try:
        return platform_for(grant.label_id, grant.platform).revoke(token)
    except PlatformError as exc:  # the tokens are deleted all the same
        log.warning("%s revocation failed for a fan's erasure: %s", name(grant.platform),
                    type(exc).__name__)
        return False
