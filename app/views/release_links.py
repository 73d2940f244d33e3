"""The Streaming links panel of the staff release page: what was found, by what and why;
staff set, replace, hide, show or remove a link (app.releases.links).

Mixed into ReleaseView: seeing the panel needs can_show, changing a link can_edit (which
Artist users do not have). A bad link re-renders the page with a 422 and says why.
"""
from flask import flash, g, redirect, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.decorators import permission_name
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired

from app.releases import links as streaming_links
from app.extensions import db
from app.platforms import web_links

SOURCE_LABELS = {"isrc": "ISRC", "upc": "UPC", "search": "Title and artist search",
                 "resolver": "Odesli", "manual": "Set by staff"}
TOGGLES = {"hide": True, "show": False}
DONE = {"hide": "hidden from the fan page", "show": "shown on the fan page", "remove": "removed"}


class LinkForm(DynamicForm):
    platform = SelectField("Platform", choices=[(p, web_links.name(p))
                                                for p in web_links.LINK_PLATFORMS],
                           validate_choice=False)
    url = StringField("Link", validators=[InputRequired("Give the link (https://…)")],
                      description="https, on the platform's own site")


def links_context(release, form=None):
    """The panel's rows: every enabled platform (found or not), then any other linked one."""
    found = {row.platform: row for row in streaming_links.links(release)}
    order = [*(release.platforms or []), *(p for p in found if p not in (release.platforms or []))]
    return {"link_rows": [{"platform": p, "name": web_links.name(p), "link": found.get(p),
                           "enabled": p in (release.platforms or [])} for p in order],
            "link_checks": streaming_links.checks(release),
            "link_form": form or LinkForm(formdata=None),
            "source_labels": SOURCE_LABELS}


class LinkPanelRoutes:
    """ReleaseView's link routes; the view provides _release_or_404, _require_csrf and
    _show_page."""

    @expose("/<int:pk>/links", methods=["POST"])
    @has_access
    @permission_name("edit")
    def set_link(self, pk):
        release = self._release_or_404(pk)
        form = LinkForm()
        if form.validate():
            try:
                row, _ = streaming_links.set_link(release, form.platform.data, form.url.data,
                                                  hidden=False, actor=g.user.username)
            except ValueError as exc:
                db.session.rollback()
                form.url.errors = [*form.url.errors, str(exc)]
            else:
                db.session.commit()
                flash(f"The {web_links.name(row.platform)} link was set", "success")
                return redirect(url_for(".show", pk=pk, _anchor="streaming-links"))
        return self._show_page(release, None, 422, link_form=form)

    @expose("/<int:pk>/links/<platform>/<action>", methods=["POST"])
    @has_access
    @permission_name("edit")
    def change_link(self, pk, platform, action):
        release = self._release_or_404(pk)
        self._require_csrf()
        if action not in (*TOGGLES, "remove") or platform not in web_links.LINK_PLATFORMS:
            flash("Unknown link or action", "danger")
            return redirect(url_for(".show", pk=pk, _anchor="streaming-links"))
        name = web_links.name(platform)
        if action == "remove":
            done = streaming_links.remove_link(release, platform)
        else:
            done = streaming_links.link(release.id, platform) is not None
            if done:
                streaming_links.set_link(release, platform, hidden=TOGGLES[action])
        db.session.commit()
        if done:
            flash(f"The {name} link was {DONE[action]}", "success")
        else:
            flash(f"There is no {name} link", "warning")
        return redirect(url_for(".show", pk=pk, _anchor="streaming-links"))
