"""The Share kit panel of the staff release page: the fan page's short link and named links
for each channel (a UTM builder with presets), each with its QR code (SVG and PNG) and what it
brought. The rules are app.releases.share_links'.

Mixed into ReleaseView: seeing the panel and downloading a QR code needs can_show, making or
removing a link can_edit (which Artist users do not have). A refused link re-renders the page
with a 422 and says why beside the field.
"""
import re

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.decorators import permission_name
from markupsafe import Markup
from wtforms import SelectField, StringField
from wtforms.validators import Length

from app import qr_codes
from app.analytics import queries
from app.extensions import db
from app.models.short_link import NAME_MAX, UTM_MAX
from app.releases import share_links

ANCHOR = "share-kit"
QR_TYPES = {"svg": "image/svg+xml", "png": "image/png"}
UNSAFE_FILENAME = re.compile(r"[^a-z0-9-]+")


def _utm(label, description):
    return StringField(label, description=description, validators=[
        Length(max=UTM_MAX, message=f"Keep it to {UTM_MAX} characters")])


class ShareLinkForm(DynamicForm):
    name = StringField("Name (only staff see it)", validators=[
        Length(max=NAME_MAX, message=f"Keep the name to {NAME_MAX} characters")])
    preset = SelectField("Where it goes", choices=[(key, preset.label) for key, preset
                                                   in share_links.PRESETS.items()],
                         default="instagram_bio", validate_choice=False)
    utm_source = _utm("Source (utm_source)", "Blank: the preset's")
    utm_medium = _utm("Medium (utm_medium)", "Blank: the preset's")
    utm_campaign = _utm("Campaign (utm_campaign)", "Blank: the release's slug")
    utm_content = _utm("Content (utm_content)", "Optional: tells apart two links of one "
                                                "channel, e.g. “story-1”")


def share_context(release, form=None):
    """The panel: the release's links (the fan page's own made on first sight), their short
    URLs, QR codes and counts, and the builder's form with the presets' tags."""
    rows = share_links.links(release)
    if not any(link.main for link in rows):
        share_links.main_link(release)
        db.session.commit()
        rows = share_links.links(release)
    counts = {row["id"]: row for row in queries.short_links(release.id)}
    ink = share_links.qr_ink(release)
    main = rows[0]
    return {
        "share_rows": [{"link": link, "url": share_links.short_url(link),
                        "counts": counts[link.id]}
                       for link in rows],
        "share_main": main,
        "share_main_url": share_links.short_url(main),
        "share_main_qr": Markup(qr_codes.svg(share_links.short_url(main), dark=ink, scale=5,
                                             css_class="share-qr",
                                             label=f"QR code of {release.title}'s short link")),
        "share_form": form or ShareLinkForm(formdata=None),
        "share_presets": share_links.PRESETS,
        "share_campaign": release.slug,
    }


class SharePanelRoutes:
    """ReleaseView's share kit routes; the view provides _release_or_404, _require_csrf and
    _show_page."""

    @expose("/<int:pk>/share-links", methods=["POST"])
    @has_access
    @permission_name("edit")
    def add_share_link(self, pk):
        release = self._release_or_404(pk)
        self._require_csrf()
        form = ShareLinkForm()
        if form.validate():
            try:
                link = share_links.create(
                    release, form.name.data, form.preset.data, actor=g.user.username,
                    **{field: form[field].data for field in share_links.UTM_FIELDS})
            except share_links.LinkRefused as exc:
                db.session.rollback()
                form.name.errors = [*form.name.errors, str(exc)]
            else:
                db.session.commit()
                flash(f"The short link “{link.name}” was made: {share_links.short_url(link)}",
                      "success")
                return redirect(url_for(".show", pk=pk, _anchor=ANCHOR))
        return self._show_page(release, None, 422, share_form=form)

    @expose("/<int:pk>/share-links/<int:link_id>/remove", methods=["POST"])
    @has_access
    @permission_name("edit")
    def remove_share_link(self, pk, link_id):
        release = self._release_or_404(pk)
        self._require_csrf()
        try:
            name = share_links.remove(release, link_id)
        except share_links.LinkRefused as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            if name is None:
                flash("There is no such link", "warning")
            else:
                flash(f"The short link “{name}” was removed: its code no longer works",
                      "success")
        return redirect(url_for(".show", pk=pk, _anchor=ANCHOR))

    @expose("/<int:pk>/share-links/<int:link_id>/qr.<kind>", methods=["GET"])
    @has_access
    @permission_name("show")
    def share_link_qr(self, pk, link_id, kind):
        release = self._release_or_404(pk)
        link = share_links.find(release, link_id)
        if link is None or kind not in QR_TYPES:
            abort(404)
        url, ink = share_links.short_url(link), share_links.qr_ink(release)
        body = qr_codes.png(url, dark=ink) if kind == "png" else \
            qr_codes.svg_document(url, dark=ink)
        name = UNSAFE_FILENAME.sub("-", f"{release.slug}-{link.name}".lower()).strip("-")
        disposition = "attachment" if request.args.get("download") else "inline"
        return body, 200, {"Content-Type": QR_TYPES[kind],
                           "Content-Disposition": f'{disposition}; filename="{name}-qr.{kind}"',
                           "Cache-Control": "private, max-age=300",
                           "X-Content-Type-Options": "nosniff"}
