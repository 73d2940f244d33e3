"""Account → Webhooks (Label Admin): a label's endpoints, each with its events, its signing
secret (shown to label admins only), "Send test event", turning it off and on, and its
delivery log with every attempt and a "Replay" per delivery. The rules are
app.webhooks.endpoints'; sending is app.jobs.webhooks'.
"""
from flask import abort, flash, g, redirect, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from sqlalchemy import select
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.widgets import CheckboxInput, ListWidget

from app import audit
from app.crypto import keyring
from app.extensions import db
from app.models import Label, WebhookDelivery, WebhookEndpoint
from app.tenants.context import current_scope
from app.validation import MAX_ID
from app.views.fields import ActionForm, require_csrf
from app.webhooks import endpoints, events


class EndpointForm(DynamicForm):
    url = StringField("Endpoint URL", description="https://…, where your system receives "
                                                  "the events (a POST of JSON)")
    description = StringField("Description (optional)")
    events = SelectMultipleField("Events", choices=list(events.TYPES.items()),
                                 widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput(), validate_choice=False)
    label = SelectField("Label", coerce=int, validate_choice=False)

    def values(self):
        return self.url.data, self.events.data or [], self.description.data


class WebhooksView(BaseView):
    route_base = "/webhooks"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        return self._list(EndpointForm(formdata=None, data={"events": list(events.TYPES)}))

    @expose("/add", methods=["POST"])
    @has_access
    def add(self):
        require_csrf()
        form = EndpointForm()
        label_id = current_scope().label_id or form.label.data
        if not (label_id and 0 < label_id <= MAX_ID and db.session.get(Label, label_id)):
            form.label.errors = ["Choose the label"]
            return self._list(form, 422)
        try:
            endpoint = endpoints.create(label_id, *form.values(), actor=g.user.username)
        except endpoints.Refused as exc:
            db.session.rollback()
            form.url.errors = [str(exc)]
            return self._list(form, 422)
        db.session.commit()
        flash("The endpoint was added. Copy its signing secret to your receiver, then send a "
              "test event.", "success")
        return redirect(url_for(".show", pk=endpoint.id))

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        endpoint = self._endpoint(pk)
        form = EndpointForm(formdata=None, obj=endpoint)
        return self._show(endpoint, form)

    @expose("/<int:pk>/edit", methods=["POST"])
    @has_access
    def edit(self, pk):
        endpoint = self._endpoint(pk)
        require_csrf()
        form = EndpointForm()
        try:
            endpoints.change(endpoint, *form.values())
        except endpoints.Refused as exc:
            db.session.rollback()
            form.url.errors = [str(exc)]
            return self._show(self._endpoint(pk), form, 422)
        db.session.commit()
        flash("The endpoint was saved", "success")
        return redirect(url_for(".show", pk=pk))

    @expose("/<int:pk>/<action>", methods=["POST"])
    @has_access
    def act(self, pk, action):
        endpoint = self._endpoint(pk)
        require_csrf()
        if action == "test":
            audit.record("webhook.tested", endpoint)
            events.test_event(endpoint, g.user.username)
            done = "A test event is on its way: its answer shows in the log below"
        elif action == "on":
            audit.record("webhook.turned_on", endpoint)
            endpoints.turn_on(endpoint)
            done = "The endpoint is on again"
        elif action == "off":
            audit.record("webhook.turned_off", endpoint)
            endpoints.turn_off(endpoint, f"Turned off by {g.user.username}")
            done = "The endpoint is off: nothing is sent to it"
        elif action == "delete":
            db.session.delete(endpoint)
            db.session.commit()
            flash("The endpoint and its log were deleted", "success")
            return redirect(url_for(".index"))
        else:
            abort(404)
        db.session.commit()
        flash(done, "success")
        return redirect(url_for(".show", pk=pk))

    @expose("/<int:pk>/deliveries/<int:delivery_id>/replay", methods=["POST"])
    @has_access
    def replay(self, pk, delivery_id):
        endpoint = self._endpoint(pk)
        require_csrf()
        delivery = db.session.scalars(select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint.id)
        ).first() if 0 < delivery_id <= MAX_ID else None
        if delivery is None:
            abort(404)
        if not endpoint.active:
            flash("Turn the endpoint on first: nothing is sent to an endpoint that is off",
                  "warning")
        else:
            events.replay(delivery)
            audit.record("webhook.replayed", endpoint, detail={"event": delivery.event_type,
                                                              "webhook_id": delivery.message_id})
            db.session.commit()
            flash(f"{delivery.event_type} ({delivery.message_id}) is sent again, with the "
                  "same webhook-id", "success")
        return redirect(url_for(".show", pk=pk, _anchor="log"))

    def _endpoint(self, pk):
        found = db.session.scalars(select(WebhookEndpoint).where(
            WebhookEndpoint.id == pk)).first() if 0 < pk <= MAX_ID else None
        if found is None:
            abort(404)
        return found

    def _labels(self, form):
        scope = current_scope()
        if scope.label_id is None:
            form.label.choices = [(label.id, label.name) for label in db.session.scalars(
                select(Label).order_by(Label.name))]
        else:
            del form.label
        return form

    def _list(self, form, status=200):
        rows = db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
        return self.render_template("webhooks/list.html", endpoints=rows,
                                    form=self._labels(form), types=events.TYPES), status

    def _show(self, endpoint, form, status=200):
        del form.label
        return self.render_template(
            "webhooks/show.html", endpoint=endpoint, form=form, types=events.TYPES,
            secret=endpoint.secret(keyring()), deliveries=endpoints.log(endpoint),
            action_form=ActionForm()), status, {"Cache-Control": "private, no-store"}
