"""Account → Data retention (Label Admin; the platform admin chooses a label): how long each
kind of personal data is kept, and what the next nightly run will delete under those limits
(app.retention). A change is recorded in the audit trail with its before and after."""
from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access

from app.analytics import event_months
from app.extensions import db
from app.jobs.retention import next_run
from app.localtime import now_utc
from app.models.retention import LIMITS
from app.retention import policy, run
from app.retention.rules import RULES
from app.views.base import moment
from app.views.fields import ActionForm, require_csrf
from app.views.label_pages import label_choices, page_label

SHOWN_INPUT = 12  # characters of a refused value shown back in its field


class RetentionView(BaseView):
    route_base = "/retention"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        label = page_label()
        return self._page(label, policy.limits_for(label.id))

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        require_csrf()
        label = page_label()
        values, errors = policy.parse(request.form)
        if errors:
            given = {limit.column: request.form.get(limit.column, "")[:SHOWN_INPUT]
                     for limit in LIMITS}
            return self._page(label, given, errors, 422)
        policy.save(label.id, values)
        db.session.commit()
        flash("Saved: the next nightly run keeps data as long as set here", "success")
        return redirect(url_for(".index", label=label.id))

    def _page(self, label, shown, errors=None, status=200):
        now = now_utc()
        labels = label_choices()  # the platform admin's: they also see their own entries' limit
        return self.render_template(
            "retention/index.html", label=label, labels=labels, limits=LIMITS, shown=shown,
            errors=errors or {}, in_force=policy.limits_for(label.id), rules=RULES,
            due=run.counts(label.id, now), next_run=moment(next_run(now)),
            events_months=event_months.kept_months(),
            events_due=event_months.due_count(now, label.id),
            instance_audit_days=policy.instance_limits()["audit_days"] if labels else None,
            action_form=ActionForm(),
        ), status, {"Cache-Control": "private, no-store"}
