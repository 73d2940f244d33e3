"""Account → Custom domains (Label Admin; the platform admin chooses a label): the label's
domains with their state in words, a form to add one, and for each what to set at the DNS
provider, "Check now" (app.domains.verify), "Serve fan pages here", "Stop serving" and
"Remove". At most one domain of a label serves: turning one on returns the other to proven.
"""
import secrets

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import audit
from app.domains import verify
from app.domains.hostnames import BadHostname, instance_host, normalise
from app.extensions import db
from app.models import CustomDomain
from app.models.domain import ACTIVE, PENDING, VERIFIED
from app.validation import MAX_ID
from app.views.base import moment
from app.views.fields import ActionForm, require_csrf
from app.views.label_pages import label_choices, page_label

STATE_WORDS = {PENDING: "Waiting for proof", VERIFIED: "Proven — not serving yet",
               ACTIVE: "Serving your fan pages"}
SHOWN_INPUT = 260  # characters of a refused hostname shown back in its field
TAKEN = "That hostname is already in use on this service: ask its owner to remove it first"


class DomainsView(BaseView):
    route_base = "/domains"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        return self._page(page_label())

    @expose("/add", methods=["POST"])
    @has_access
    def add(self):
        require_csrf()
        label = page_label()
        given = request.form.get("hostname", "")[:SHOWN_INPUT]
        try:
            hostname = normalise(given)
            _refuse_taken(hostname, label.id)
            domain = CustomDomain(label_id=label.id, hostname=hostname, state=PENDING,
                                  token=secrets.token_hex(16), created_by=g.user.username)
            db.session.add(domain)
            db.session.commit()
        except BadHostname as exc:
            return self._page(label, given, str(exc), 422)
        except IntegrityError:  # added elsewhere since _refuse_taken looked
            db.session.rollback()
            return self._page(label, given, TAKEN, 422)
        flash(f"{hostname} was added: set the records below, then press “Check now”",
              "success")
        return self._back(domain)

    @expose("/<int:pk>/<action>", methods=["POST"])
    @has_access
    def act(self, pk, action):
        domain = self._domain(pk)
        require_csrf()
        if action == "check":
            found = verify.check(domain)
            audit.record("domain.checked", domain, detail={
                "found": domain.verified_by if found else None, "reason": domain.last_error})
            done = (f"Proven by {'its web address' if domain.verified_by == 'http' else 'DNS'}"
                    if found else f"Not proven yet: {domain.last_error}")
            category = "success" if found else "warning"
        elif action == "on" and domain.state == VERIFIED:
            for other in db.session.scalars(select(CustomDomain).where(
                    CustomDomain.label_id == domain.label_id, CustomDomain.state == ACTIVE)):
                audit.record("domain.turned_off", other, detail={"instead": domain.hostname})
                other.state = VERIFIED
            db.session.flush()  # the label's one active domain is off before this one is on
            audit.record("domain.turned_on", domain)
            domain.state = ACTIVE
            done, category = f"Your fan pages are served at https://{domain.hostname}", "success"
        elif action == "on":
            done = "Prove the domain first: set the records, then press “Check now”"
            category = "warning"
        elif action == "off" and domain.state == ACTIVE:
            audit.record("domain.turned_off", domain)
            domain.state = VERIFIED
            done, category = f"{domain.hostname} no longer serves your fan pages", "success"
        elif action == "off":
            done, category = f"{domain.hostname} was not serving", "info"
        elif action == "remove":
            hostname, label_id = domain.hostname, domain.label_id
            db.session.delete(domain)
            db.session.commit()
            flash(f"{hostname} was removed: it serves nothing from now on", "success")
            return redirect(url_for(".index", label=label_id))
        else:
            abort(404)
        try:
            db.session.commit()
        except IntegrityError:  # another of the label's domains was turned on meanwhile
            db.session.rollback()
            done, category = ("Another of your domains was turned on meanwhile: look again, "
                              "then choose", "warning")
        flash(done, category)
        return self._back(domain)

    def _domain(self, pk):
        found = db.session.scalars(select(CustomDomain).where(
            CustomDomain.id == pk)).first() if 0 < pk <= MAX_ID else None
        if found is None:
            abort(404)
        return found

    def _back(self, domain):
        return redirect(url_for(".index", label=domain.label_id, _anchor=f"domain-{domain.id}"))

    def _page(self, label, given="", error=None, status=200):
        rows = db.session.scalars(select(CustomDomain).where(
            CustomDomain.label_id == label.id).order_by(CustomDomain.created_at,
                                                        CustomDomain.id)).all()
        return self.render_template(
            "domains/index.html", label=label, labels=label_choices(), domains=rows,
            words=STATE_WORDS, given=given, error=error, moment=moment,
            instance_host=instance_host(),
            instance_addresses=verify.instance_addresses() if any(
                row.state == PENDING for row in rows) else [],
            proof_path=verify.VERIFY_PATH, txt_prefix=verify.TXT_PREFIX,
            action_form=ActionForm(),
        ), status, {"Cache-Control": "private, no-store"}


def _refuse_taken(hostname, label_id):
    """BadHostname if a domain row has the name already: the label's own, or (not saying
    whose) another label's."""
    owner = db.session.scalar(select(CustomDomain.label_id).where(
        CustomDomain.hostname == hostname), execution_options={"all_tenants": True})
    if owner == label_id:
        raise BadHostname(f"{hostname} is already one of your domains")
    if owner is not None:
        raise BadHostname(TAKEN)
