"""Account → Email tools (Label Admin): connect Mailchimp or Klaviyo with an API key (sealed,
write-only), choose the audience (list) each artist's fans go to, check the connection, sync
now, and read what was sent. Fans join only with a marketing email consent; a withdrawal,
an unsubscribe or an erasure takes them out again (app.jobs.audience_sync)."""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import func, select

from app import audit
from app.crypto import keyring
from app.extensions import db, queue
from app.integrations import klaviyo, mailchimp
from app.integrations.audiences import SyncError
from app.jobs import audience_sync
from app.localtime import now_utc
from app.models import Artist, AudienceChange, AudienceConnection
from app.models.audience import PROVIDERS
from app.views.fields import ActionForm, require_csrf
from app.views.label_pages import label_choices, page_label

CHECKS = {"mailchimp": mailchimp.check, "klaviyo": klaviyo.check}
LIST_MAX = 64


class EmailToolsView(BaseView):
    route_base = "/email-tools"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        return self._page(page_label())

    @expose("/<provider>/save", methods=["POST"])
    @has_access
    def save(self, provider):
        label, connection = self._connection(provider, create=True)
        require_csrf()
        lists, bad = {}, []
        for artist in self._artists(label):
            value = request.form.get(f"list_{artist.id}", "").strip()
            if len(value) > LIST_MAX or any(c.isspace() or ord(c) < 32 for c in value):
                bad.append(artist.name)
            elif value:
                lists[str(artist.id)] = value
        if bad:
            db.session.rollback()
            flash(f"An audience id is one word of at most {LIST_MAX} characters: "
                  f"{', '.join(bad)}", "danger")
            return self._page(label, 422)
        key = request.form.get("api_key", "").strip()
        if key:
            connection.set_key(keyring(), key)
        connection.lists = lists
        connection.last_error = None
        db.session.commit()
        flash(f"{connection.name} was saved. Check the connection, then Sync now.", "success")
        return redirect(url_for(".index", label=label.id))

    @expose("/<provider>/<action>", methods=["POST"])
    @has_access
    def act(self, provider, action):
        label, connection = self._connection(provider)
        require_csrf()
        if action == "check":
            audit.record("email_tool.checked", connection,
                         detail={"outcome": self._check(connection)})
        elif action == "sync":
            audit.record("email_tool.sync_started", connection)
            queue(audience_sync.QUEUE).enqueue(audience_sync.reconcile, label.id,
                                               description=f"email tools: sync {label.name}")
            flash(f"{connection.name} is being brought in step with your fans' consents",
                  "success")
        elif action == "disconnect":
            audit.record("email_tool.deleted", connection)
            db.session.delete(connection)
            flash(f"{connection.name} was disconnected: nothing more is sent there", "success")
        else:
            flash("Unknown action", "danger")
        db.session.commit()
        return redirect(url_for(".index", label=label.id))

    def _check(self, connection):
        """Ask the tool about each audience; what came of it, in words."""
        api_key = connection.key(keyring())
        if not api_key or not connection.lists:
            flash("Give the API key and at least one audience first", "warning")
            return "not checked: no API key or audience"
        said = []
        try:
            for list_id in sorted(set(connection.lists.values())):
                said.append(f"“{CHECKS[connection.provider](api_key, list_id)}” ({list_id})")
        except SyncError as exc:
            connection.last_error = str(exc)[:300]
            flash(f"{connection.name} answered: {exc}", "danger")
            return connection.last_error
        connection.checked_at, connection.last_error = now_utc(), None
        flash(f"{connection.name} works: {', '.join(said)}", "success")
        return "works"

    def _connection(self, provider, create=False):
        label = page_label()
        if provider not in PROVIDERS:
            abort(404)
        connection = db.session.scalar(select(AudienceConnection).where(
            AudienceConnection.label_id == label.id, AudienceConnection.provider == provider))
        if connection is None:
            if not create:
                abort(404)
            connection = AudienceConnection(label_id=label.id, provider=provider, lists={},
                                            created_at=now_utc())
            db.session.add(connection)
            db.session.flush()  # the key's seal is bound to the row's id
        return label, connection

    @staticmethod
    def _artists(label):
        return db.session.scalars(select(Artist).where(Artist.label_id == label.id)
                                  .order_by(Artist.name)).all()

    def _page(self, label, status=200):
        connections = {c.provider: c for c in db.session.scalars(select(AudienceConnection)
                       .where(AudienceConnection.label_id == label.id))}
        states = dict(db.session.execute(
            select(AudienceChange.state, func.count(AudienceChange.id))
            .where(AudienceChange.label_id == label.id).group_by(AudienceChange.state)).all())
        recent = db.session.scalars(select(AudienceChange).where(
            AudienceChange.label_id == label.id).order_by(AudienceChange.id.desc()).limit(30)).all()
        return self.render_template(
            "email_tools/index.html", label=label, labels=label_choices(),
            providers=PROVIDERS, connections=connections, artists=self._artists(label),
            states=states, recent=recent, action_form=ActionForm(),
            stored={p: bool(c.api_key_sealed) for p, c in connections.items()}), status, \
            {"Cache-Control": "private, no-store"}
