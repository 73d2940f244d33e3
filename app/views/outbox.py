"""Outbox (development): what the local mail catcher kept (app.embedded.mail_catcher, read by app.embedded.caught_mail).

Registered only when MAIL_CATCHER_DIR is set (`python run.py` without SMTP_HOST) and never in
production. The platform admin reads every caught message; the HTML part is served on its own,
sandboxed (no scripts, no forms, nothing of this origin), into a frame of the show page.
"""
from flask import abort, current_app
from flask_appbuilder import BaseView, expose, has_access

from app.embedded import caught_mail

HTML_POLICY = ("sandbox; default-src 'none'; img-src 'self' data: http: https:; "
               "style-src 'unsafe-inline'; frame-ancestors 'self'")


class OutboxView(BaseView):
    route_base = "/outbox"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("outbox/list.html", mails=caught_mail.caught(_directory()))

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
    return current_app.config["MAIL_CATCHER_DIR"]


def _mail(key):
    mail = caught_mail.one(_directory(), key)
    if mail is None:
        abort(404)
    return mail
