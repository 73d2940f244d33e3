import re

from flask import flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from markupsafe import Markup

from app.extensions import db
from app.models import Consent, Fan, PreSave
from app.presaves import fan_data
from app.releases.ledger import STATE_LABELS
from app.views.base import EMPTY, PresaveModelView, words
from app.views.fields import ActionForm, require_csrf

REASON_MIN, REASON_MAX = 3, 300
# The reason is kept in the activity log for years: an address or a number would bring back
# what the erasure takes away.
CONTACT_LIKE = re.compile(r"\S@\S+\.\S|\+?\d(?:[\s().-]*\d){8}")
DATES_AND_TIMES = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}")

# The ledger's states as Bootstrap badges, in the release page's colours.
STATE_BADGES = {"pending": "default", "retrying": "warning", "in_progress": "info",
                "delivered": "success", "failed": "danger", "cancelled": "default"}


def state_badge(state):
    return Markup('<span class="label label-{}">{}</span>').format(
        STATE_BADGES.get(state, "default"), STATE_LABELS.get(state, words(state)))


def agreed_to(consents):
    """The purposes a fan agreed to and has not withdrawn, as words."""
    current = sorted({words(c.purpose) for c in consents or () if c.withdrawn_at is None})
    return ", ".join(current) or EMPTY


def came_from(source):
    """The referring site and campaign of a fan's first visit; "Direct" without either."""
    if source is None:
        return EMPTY
    said = [part for part in (source.referrer, source.utm_campaign) if part]
    return " · ".join(said) or "Direct"

READ_ONLY = ["can_list", "can_show"]


class ConsentView(PresaveModelView):
    """What each fan agreed to, with the exact wording shown and when."""

    datamodel = SQLAInterface(Consent)
    route_base = "/consents"
    noun = ("consent", "consents")
    list_columns = ["fan", "purpose", "wording", "given_at", "withdrawn_at"]
    show_columns = list_columns + ["ip_hash"]
    label_columns = {"ip_hash": "Address (one-way hash)"}
    formatters_columns = {"purpose": words}
    base_permissions = READ_ONLY
    base_order = ("given_at", "desc")


class PreSaveView(PresaveModelView):
    """The delivery ledger: every (fan, release, platform) pre-save and where it stands."""

    datamodel = SQLAInterface(PreSave)
    route_base = "/presaves"
    noun = ("pre-save", "pre-saves")
    list_columns = ["release", "fan", "platform", "action", "display_state", "attempts",
                    "next_attempt_at", "last_error", "delivered_at"]
    show_columns = list_columns + ["created_at", "updated_at"]
    label_columns = {"display_state": "State", "action": "Kind"}
    formatters_columns = {"display_state": state_badge, "action": words}
    search_columns = ["release", "platform", "state", "action"]
    base_permissions = READ_ONLY
    base_order = ("created_at", "desc")


class FanView(PresaveModelView):
    """Fans of the label's artists (contact details: staff only, never Artist users)."""

    datamodel = SQLAInterface(Fan)
    route_base = "/fans"
    noun = ("fan", "fans")
    list_columns = ["name", "email", "phone", "artist", "city", "country", "consents", "source",
                    "created_at"]
    show_columns = ["name", "email", "phone", "artist", "city", "country", "timezone",
                    "consents", "source", "created_at"]
    label_columns = {"consents": "Agreed to", "source": "Came from", "created_at": "Joined"}
    formatters_columns = {"consents": agreed_to, "source": came_from}
    search_columns = ["name", "email", "artist", "country"]
    related_views = [ConsentView, PreSaveView]
    base_permissions = READ_ONLY + ["can_erase"]
    base_order = ("created_at", "desc")
    show_template = "fans/show.html"

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        return self._show_page(self._visible(pk))

    @expose("/erase/<pk>", methods=["POST"])
    @has_access
    def erase(self, pk):
        """A fan's erasure asked of the label (by email, by letter): the same path as the
        fan's own, with the reason in the audit trail."""
        fan = self._visible(pk)
        require_csrf()
        reason = " ".join((request.form.get("reason") or "").split())
        if fan.erased_at is not None:
            flash("This fan was already erased", "info")
        elif not REASON_MIN <= len(reason) <= REASON_MAX:
            return self._show_page(fan, error=f"Say why, in {REASON_MIN} to {REASON_MAX} "
                                              "characters (for example: “asked by email on "
                                              "3 March”)", reason=reason[:REASON_MAX]), 422
        elif CONTACT_LIKE.search(DATES_AND_TIMES.sub(" ", reason)):
            return self._show_page(fan, error="Leave the fan's email address and phone number "
                                              "out of the reason: the activity log keeps it "
                                              "for years", reason=reason), 422
        else:
            revoked, yours = fan_data.erase(fan, reason=f"Erased by staff: {reason}")
            db.session.commit()
            flash("The fan is erased: contact details, consents and platform connections are "
                  "deleted, pending pre-saves cancelled"
                  + (f"; access ended at {', '.join(revoked)}" if revoked else "")
                  + (f". {', '.join(yours)} keep no more tokens of ours" if yours else ""),
                  "success")
        return redirect(url_for(".show", pk=fan.id))


    def _show_page(self, fan, error=None, reason=""):
        return self.render_template(
            self.show_template, pk=fan.id, item=fan, title=self.show_title,
            widgets=self._show(fan.id), related_views=self._related_views,
            action_form=ActionForm(), error=error, reason=reason,
            can_erase=self.appbuilder.sm.has_access("can_erase", self.class_permission_name))
