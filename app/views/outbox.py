"""Outbox (development): what the local mail catcher kept (app.embedded.mail_catcher, read by
app.embedded.caught_mail).

In the menu only when MAIL_CATCHER_DIR is set (`python run.py` without SMTP_HOST), never in
production; otherwise it answers 404. The platform admin reads every caught message; label
staff read those their label's messages sent (by Message-ID, from the messages' ledger). The
HTML part is served on its own, sandboxed (no scripts, no forms, nothing of this origin), into
a frame of the show page.
"""
from flask import abort, current_app
from flask_appbuilder import BaseView, expose, has_access

from sqlalchemy import select

from app.embedded import caught_mail
from app.extensions import db
from app.models import MessageRecipient
from app.tenants.context import current_scope

HTML_POLICY = ("sandbox; default-src 'none'; img-src 'self' data: http: https:; "
               "style-src 'unsafe-inline'; frame-ancestors 'self'")


class OutboxView(BaseView):
    route_base = "/outbox"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("outbox/list.html",
                                    mails=caught_mail.caught(_directory(), keep=_readable()))

    @expose("/<key>")
    @has_access
    def show(self, key):
        return self.render_template("outbox/show.html", mail=_mail(key))

    @expose("/<key>/html")
    @has_access
    def html(self, key):
        body = _mail(key).part("html")
        if body is None:
            abort(404)
        return body, 200, {"Content-Type": "text/html; charset=utf-8",
                           "Content-Security-Policy": HTML_POLICY}


def _directory():
    directory = current_app.config.get("MAIL_CATCHER_DIR")
    if not directory:
        abort(404)
    return directory


def _readable():
    """Which caught mails the reader may open: all for the platform, else the label's own."""
    if current_scope().everything:
        return None
    own = set(db.session.scalars(select(MessageRecipient.provider_id).where(
        MessageRecipient.provider_id.is_not(None))))
    return lambda mail: mail.message_id in own


def _mail(key):
    mail = caught_mail.one(_directory(), key)
    readable = _readable()
    if mail is None or (readable is not None and not readable(mail)):
        abort(404)
    return mail
