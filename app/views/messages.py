"""Messages: what went to fans, per message (automations per release, blasts), with the
ledger of each recipient and its CSV. Label staff and admins; Artist users never see fans'
addresses, so not them."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name

from app import languages
from app.csv_export import lines
from app.extensions import db
from app.messaging import blasts, ledger
from app.messaging.automations import NAMES
from app.models import Message
from app.models.message import AUTOMATIONS, BLAST, QUEUED
from app.validation import MAX_ID
from app.views.base import exported_csv, moment
from app.views.fields import ActionForm, require_csrf


KINDS = {BLAST: "Blasts", **{kind: NAMES[kind] for kind in AUTOMATIONS}}


class MessagesView(BaseView):
    route_base = "/messages"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        kind = request.args.get("kind") or None
        if kind not in (None, *KINDS):
            abort(400, f"kind is one of {', '.join(KINDS)}")
        page = _page()
        found, total = ledger.messages(kind=kind, page=page, size=ledger.PAGE_SIZE)
        return self.render_template(
            "messages/list.html", messages=found, counts=ledger.counts([m.id for m in found]),
            clicked=ledger.clicked([m.id for m in found]), kind=kind, page=page, total=total,
            page_size=ledger.PAGE_SIZE, kind_names=KINDS,
            states=ledger.SHOWN_STATES, labels=ledger.STATE_LABELS, kinds=NAMES, moment=moment,
            can_blast=self.appbuilder.sm.has_access("can_new", "BlastView"))

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        message = _message(pk)
        state = request.args.get("state") or None
        if state not in (None, *ledger.SHOWN_STATES):
            abort(400, f"state is one of {', '.join(ledger.SHOWN_STATES)}")
        page = _page()
        rows, total = ledger.recipients(pk, state, page)
        counts = ledger.counts([pk])[pk]
        return self.render_template(
            "messages/show.html", message=message, counts=counts, rows=rows,
            clicked=ledger.clicked([pk]).get(pk, 0),
            total=total, state=state, page=page, page_size=ledger.PAGE_SIZE,
            states=ledger.SHOWN_STATES, labels=ledger.STATE_LABELS, kinds=NAMES,
            shown=ledger.shown, moment=moment, action_form=ActionForm(),
            language_name=languages.name_of,
            can_stop=message.kind == BLAST and counts.get(QUEUED, 0) > 0
            and self.appbuilder.sm.has_access("can_stop", "MessagesView"))

    @expose("/<int:pk>/stop", methods=["POST"])
    @has_access
    def stop(self, pk):
        """A blast's waiting rows are cancelled (a scheduled blast, or one still going out)."""
        message = _message(pk)
        require_csrf()
        if message.kind != BLAST:
            abort(400, "Only a blast can be stopped here; an automation is turned off on the "
                       "Automations page")
        stopped = blasts.stop(message, g.user.username)
        db.session.commit()
        flash(f"Stopped: {stopped} waiting message{'s' if stopped != 1 else ''} will not be sent"
              if stopped else "Nothing was waiting: every message had gone already", "success")
        return redirect(url_for(".show", pk=pk))

    @expose("/<int:pk>/recipients.csv")
    @has_access
    @permission_name("csv")
    def csv(self, pk):
        message = _message(pk)
        return exported_csv(lines(ledger.csv_entries(message.id), ledger.CSV_COLUMNS),
                            f"message-{message.id}-recipients.csv", "export.recipients",
                            label_id=message.label_id, object_type="message",
                            object_id=message.id, name=message.name)


def _page():
    page = request.args.get("page", "1")
    if not page.isdecimal() or not 0 < int(page) <= 10**6:
        abort(400, "page is a number from 1")
    return int(page)


def _message(pk):
    message = db.session.get(Message, pk) if 0 < pk <= MAX_ID else None
    if message is None:
        abort(404)
    return message
