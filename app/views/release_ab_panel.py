"""The A/B test panel of the staff release page: the page's variants, added and removed while
the test is a draft, then started (optionally to stop by itself), stopped, and decided; the
numbers are on the release's analytics page. The rules are app.releases.ab_tests'.

Mixed into ReleaseView: seeing the panel needs can_show, changing the test can_edit (which
Artist users do not have). A refusal says why, as a flashed message.
"""
from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.decorators import permission_name
from flask_wtf.file import FileField
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.extensions import db
from app.models.ab_test import KEYS
from app.models.release import DESCRIPTION_MAX, HEADLINE_MAX
from app.releases import ab_tests, rules
from app.uploads import read_upload

ANCHOR = "ab-test"


class VariantForm(DynamicForm):
    name = StringField("Name (only staff see it)", validators=[
        DataRequired("Name the variant"), Length(max=ab_tests.NAME_MAX)])
    headline = StringField("Headline", validators=[Optional(), Length(max=HEADLINE_MAX)],
                           description="Empty: the release's own")
    description = TextAreaField("Description", validators=[
        Optional(), Length(max=DESCRIPTION_MAX)], description="Empty: the release's own")
    weight = IntegerField("Weight", default=1, validators=[NumberRange(
        1, ab_tests.MAX_WEIGHT, f"A whole number from 1 to {ab_tests.MAX_WEIGHT}")],
        description="Equal weights split visitors evenly")
    artwork = FileField("Artwork", description="Empty: the release's own. JPEG, PNG or WebP, "
                                               "at least 640×640")


def ab_context(release, form=None):
    test = ab_tests.latest_test(release)
    shown = ab_tests.as_dict(test) if test else None
    if shown:
        for variant in shown["variants"]:
            variant["artwork_url"] = rules.image_url(variant["artwork"])
    return {"ab_test": shown, "variant_form": form or VariantForm(formdata=None),
            "variant_keys": KEYS}


class AbPanelRoutes:
    """ReleaseView's A/B test routes; the view provides _release_or_404, _require_csrf and
    _show_page."""

    @expose("/<int:pk>/variants", methods=["POST"])
    @has_access
    @permission_name("edit")
    def add_variant(self, pk):
        release = self._release_or_404(pk)
        form = VariantForm()
        if form.validate():
            try:
                added = ab_tests.add_variant(release, form.name.data, form.headline.data,
                                             form.description.data, form.weight.data)
                upload = request.files.get("artwork")
                if upload is not None and upload.filename:
                    ab_tests.set_artwork(added.test, added.key, read_upload(upload))
            except ValueError as exc:
                db.session.rollback()
                form.name.errors = [*form.name.errors, str(exc)]
            else:
                db.session.commit()
                flash(f"Variant {added.key} was added", "success")
                return self._back(pk)
        return self._show_page(release, None, 422, variant_form=form)

    @expose("/<int:pk>/variants/<key>/remove", methods=["POST"])
    @has_access
    @permission_name("edit")
    def remove_variant(self, pk, key):
        release = self._release_or_404(pk)
        self._require_csrf()
        return self._act(pk, lambda: ab_tests.remove_variant(ab_tests.open_test(release), key),
                         f"Variant {key} was removed")

    @expose("/<int:pk>/variants/test/<action>", methods=["POST"])
    @has_access
    @permission_name("edit")
    def test_action(self, pk, action):
        release = self._release_or_404(pk)
        self._require_csrf()
        if action == "start":
            return self._act(pk, lambda: ab_tests.start(
                release, request.form.get("auto_stop") == "y", _whole(
                    request.form.get("min_presaves", ""))),
                "The test runs: each visitor now sees one variant")
        if action == "stop":
            return self._act(pk, lambda: ab_tests.stop(release),
                             "The test stopped: everyone sees the release as it is")
        if action == "choose":
            winner = request.form.get("winner", "")
            return self._act(pk, lambda: ab_tests.choose_winner(release, winner,
                                                                 g.user.username),
                             f"Variant {winner} won: its artwork and words are now the "
                             "release's own")
        flash("Unknown action", "danger")
        return self._back(pk)

    def _act(self, pk, work, done):
        try:
            work()
        except (ValueError, LookupError) as exc:
            db.session.rollback()
            flash(str(exc).strip("'\""), "danger")
        else:
            db.session.commit()
            flash(done, "success")
        return self._back(pk)

    @staticmethod
    def _back(pk):
        return redirect(url_for(".show", pk=pk, _anchor=ANCHOR))


def _whole(text):
    """A whole number typed in a form, None when left empty."""
    text = text.strip().replace(",", "")
    if not text:
        return None
    if not text.isdecimal() or len(text) > 9:
        raise ValueError("The pre-savers each variant needs is a whole number, such as 200")
    return int(text)
