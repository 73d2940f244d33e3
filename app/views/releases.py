"""The staff Releases admin: a three-step create page, the release page and its actions.

The rules (dates, transitions) live in app.releases.rules and app.validation; this
module only turns their ValueErrors into messages next to the right field.
"""
import re
from datetime import datetime, time
from pathlib import Path

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.interface import SQLAInterface
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import (HiddenField, RadioField, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.fields import DateField, DateTimeLocalField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.audit import reading as audit_reading
from app.messaging import ledger as message_ledger
from app.releases import rules
from app import platform_table, validation
from app.extensions import db
from app.localtime import all_zones
from app.models import Artist, Release
from app.models.release import (DESCRIPTION_MAX, HEADLINE_MAX, KINDS, RELEASE_MODES, SINGLE,
                                STATUS_LABELS)
from app.platform_table import DEFAULT_PLATFORMS, PLATFORM_CHOICES
from app.uploads import store_image
from app.views.base import PresaveModelView, moment
from app.views.deliveries import DeliveryRoutes, panel_context
from app.views.fields import ActionForm, ImageUpload, require_csrf, rule
from app.views.release_ab_panel import AbPanelRoutes, ab_context
from app.views.release_links import LinkPanelRoutes, links_context
from app.views.release_share_panel import SharePanelRoutes, share_context

STORED_NAME_RE = re.compile(r"^[0-9a-f]{40}\.(jpg|png|webp)$")
STATUS_CLASSES = {"draft": "default", "announced": "info", "presave_active": "primary",
                  "released": "success", "archived": "warning"}


def _stored_artwork(form, field):
    """An artwork uploaded with an earlier, rejected submission of this form."""
    if not field.data:
        return
    folder = Path(current_app.config["UPLOAD_DIR"])
    if not STORED_NAME_RE.match(field.data) or not (folder / field.data).is_file():
        raise ValidationError("The artwork from your last attempt is gone; please upload it again")


def _choices(pairs):
    return [SelectChoice(value, label) for value, label in pairs]


class DetailsForm(DynamicForm):
    """What the release is: track info, codes and platforms (also the edit form)."""

    title = StringField("Title", validators=[DataRequired("Give the release a title"),
                                             Length(max=200)])
    slug = StringField("Slug", validators=[Optional(), rule(validation.slug)],
                       description="Part of the fan page address; made from the title if blank")
    artwork = ImageUpload("Artwork", description="JPEG, PNG or WebP; at least 640×640 pixels, "
                                                 "at most 10 MB")
    artwork_kept = HiddenField(validators=[_stored_artwork])
    kind = RadioField("Type", choices=_choices(KINDS), default=SINGLE, description=(
        "A single is saved as its track. An EP or album is saved as the album on Spotify, "
        "Apple Music, Deezer and TIDAL, and as its focus track on YouTube Music and Amazon "
        "Music."))
    isrc = StringField("ISRC", validators=[rule(validation.isrc)],
                       description="A single's track, or an EP's or album's focus track; "
                                   "optional; CC-XXX-YY-NNNNN, e.g. US-RC1-26-00001")
    upc = StringField("UPC / EAN", validators=[rule(validation.upc)],
                      description="12 or 13 digits; required for an EP or album")
    headline = StringField("Headline", validators=[rule(lambda v: validation.plain_text(
        v, HEADLINE_MAX, "headline"))], description=(
        f"Optional, up to {HEADLINE_MAX} characters: the line under the title on the fan page. "
        "Blank: “Be the first to hear it: pre-save now…”"))
    description = TextAreaField("Description", validators=[rule(lambda v: validation.plain_text(
        v, DESCRIPTION_MAX, "description", lines=True))], description=(
        f"Optional, up to {DESCRIPTION_MAX} characters of plain text: a few words about the "
        "release, also used when the link is shared"))
    platforms = SelectMultipleField("Platforms", choices=_choices(PLATFORM_CHOICES),
                                    default=DEFAULT_PLATFORMS, validate_choice=False,
                                    validators=[rule(validation.platforms)])

    def slug_onto(self, release, artist_id):
        """The slug by the release rules onto ``release``; False, with the error shown, when
        another release of the artist has the one given."""
        try:
            release.slug = rules.slug_for(artist_id, self.slug.data, self.title.data or "",
                                          release.id)
            return True
        except rules.SlugTaken as exc:
            self.slug.errors = [*self.slug.errors, str(exc)]
            return False

    def keep_artwork(self):
        """Store a valid upload now, so a rejected form does not ask for it again."""
        if self.artwork.image_bytes:
            self.artwork_kept.data = store_image(self.artwork.image_bytes)
        return self.artwork_kept.data or None

    def validate_upc(self, field):
        try:
            rules.check_kind(self.kind.data, field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def apply_to(self, release):
        release.title = self.title.data.strip()
        rules.set_codes(release, self.kind.data, self.isrc.data or None, self.upc.data or None)
        release.platforms = self.platforms.data
        release.headline = self.headline.data or None
        release.description = self.description.data or None
        release.artwork = self.keep_artwork() or release.artwork


class ScheduleForm(DynamicForm):
    """When the release happens: local times, zone and mode (also the change-dates form)."""

    presave_opens_local = DateTimeLocalField(
        "Pre-save opens", format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[InputRequired("Give the date and time the pre-save opens")])
    release_date = DateField("Release date", validators=[InputRequired("Give the release date")])
    release_time = TimeField("Release time", default=time(0, 0), validators=[Optional()],
                             description="Local midnight unless you say otherwise")
    timezone = SelectField("Time zone", choices=all_zones(), validate_choice=False,
                           validators=[InputRequired("Choose a time zone"),
                                       rule(validation.timezone_name)])
    release_mode = RadioField("Release mode", choices=_choices(RELEASE_MODES), default="global")

    DATE_FIELDS = ("presave_opens_local", "release_date", "release_time", "timezone")

    def local_times(self):
        release_local = datetime.combine(self.release_date.data, self.release_time.data or time(0))
        return self.presave_opens_local.data, release_local, self.timezone.data

    def schedule_onto(self, release):
        """Run app.releases.rules.schedule; put its message next to the field it is about."""
        if any(self[name].errors for name in self.DATE_FIELDS):
            return False
        opens, release_local, tz = self.local_times()
        # Each local time alone, then the pair without the future rule: a failure then can
        # only be about the opening; the future rule last.
        checks = [(self.presave_opens_local, lambda: rules.parse_local(opens)),
                  (self.release_date, lambda: rules.parse_local(release_local)),
                  (self.presave_opens_local, lambda: rules.schedule(
                      release, opens, release_local, tz, must_be_future=False)),
                  (self.release_date, lambda: rules.schedule(release, opens, release_local, tz))]
        for field, check in checks:
            try:
                check()
            except ValueError as exc:
                field.errors.append(str(exc))
                return False
        return True

    @classmethod
    def for_release(cls, release, **kwargs):
        local = release.release_local
        return cls(**kwargs, data={"presave_opens_local": release.presave_opens_local,
                                   "release_date": local.date(), "release_time": local.time(),
                                   "timezone": release.timezone,
                                   "release_mode": release.release_mode})


class CreateForm(DetailsForm, ScheduleForm):
    artist_id = SelectField("Artist", coerce=int,
                            invalid_choice_message="Choose one of your label's artists",
                            validators=[InputRequired("Choose one of your label's artists")])

    def offer_artists(self, artists):
        """The label's artists; each carries its zone, which the page makes the default."""
        self.artist_id.choices = [SelectChoice(a.id, a.name, {"data-tz": artist_zone(a)})
                                  for a in artists]
        if artists and not self.timezone.data:
            self.timezone.data = artist_zone(artists[0])


def _label_artists():
    return db.session.scalars(select(Artist).order_by(Artist.name)).all()


def artist_zone(artist):
    return artist.timezone or artist.label.timezone


def _release_or_404(pk):
    release = db.session.scalar(select(Release).where(Release.id == pk))
    if release is None:
        abort(404)
    return release


def status_badge(status):
    return Markup('<span class="label label-{} release-status">{}</span>').format(
        STATUS_CLASSES.get(status, "default"), STATUS_LABELS.get(status, status))


def thumbnail(name):
    if not name:
        return Markup('<span class="list-thumb" aria-hidden="true"></span>')
    return Markup('<img class="list-thumb" src="{}" alt="" width="40" height="40" '
                  'loading="lazy">').format(url_for("media.file", name=name))


def local_text(value):
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def utc_text(value):
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


class ReleaseView(LinkPanelRoutes, SharePanelRoutes, AbPanelRoutes, DeliveryRoutes,
                  PresaveModelView):
    """Releases of the label's roster."""

    datamodel = SQLAInterface(Release)
    route_base = "/releases"
    class_permission_name = "ReleaseView"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete",
                        "can_announce", "can_archive", "can_change_dates", "can_export",
                        "can_release_now"]
    noun = ("release", "releases")
    list_columns = ["artwork", "title", "artist", "status", "release_local", "timezone",
                    "release_at"]
    label_columns = {"artwork": "Artwork", "release_local": "Release (local)", "timezone": "Time zone",
                     "release_at": "Release (UTC)", "isrc": "ISRC", "upc": "UPC"}
    formatters_columns = {"status": status_badge, "release_local": local_text,
                          "release_at": utc_text, "artwork": thumbnail}
    search_columns = ["title", "slug", "isrc", "status"]
    order_columns = ["title", "artist", "status", "release_local", "timezone", "release_at"]
    base_order = ("release_at", "desc")

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        artists = _label_artists()
        form = CreateForm()
        form.offer_artists(artists)
        if request.method == "POST":
            release = self._create(form, artists)
            if release is not None:
                return redirect(url_for(".show", pk=release.id))
            return self._page("releases/create.html", 422, form=form)
        return self._page("releases/create.html", form=form)

    def _create(self, form, artists):
        release = Release(status=None)
        valid = form.validate()
        form.keep_artwork()
        valid = form.schedule_onto(release) and valid
        valid = valid and form.slug_onto(release, form.artist_id.data)
        if not valid:
            return None
        artist = next(a for a in artists if a.id == form.artist_id.data)
        form.apply_to(release)
        release.release_mode = form.release_mode.data
        rules.create(release, artist, g.user.username)
        if request.form.get("action") == "announce":
            rules.announce(release, g.user.username)
        if not self._commit(form):
            return None
        flash(f"“{release.title}” was created: {release.status_label}", "success")
        return release

    @staticmethod
    def _commit(form):
        try:
            db.session.commit()
            return True
        except IntegrityError:  # the same slug saved at the same moment elsewhere
            db.session.rollback()
            form.slug.errors = [*form.slug.errors, "This slug was just taken; choose another"]
            return False

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        release = _release_or_404(pk)
        # A post without a type keeps the release's (an EP must not become a single unasked)
        form = DetailsForm(obj=release) if request.method == "GET" else \
            DetailsForm(data={"kind": release.kind})
        if request.method == "POST":
            valid = form.validate()
            form.keep_artwork()
            if valid and form.slug_onto(release, release.artist_id):
                form.apply_to(release)
                if self._commit(form):
                    flash(f"“{release.title}” was saved", "success")
                    return redirect(url_for(".show", pk=release.id))
            return self._page("releases/edit.html", 422, form=form, release=release)
        return self._page("releases/edit.html", form=form, release=release)

    @expose("/show/<int:pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        release = _release_or_404(pk)
        return self._show_page(release, ScheduleForm.for_release(release))

    def _show_page(self, release, dates_form, status=200, link_form=None, variant_form=None,
                   share_form=None):
        allowed = {name: self.appbuilder.sm.has_access(f"can_{name}", self.class_permission_name)
                   for name in ("edit", "announce", "archive", "change_dates", "export",
                                "release_now")}
        return self._page("releases/show.html", status, release=release,
                          dates_form=dates_form or ScheduleForm.for_release(release,
                                                                            formdata=None),
                          action_form=ActionForm(), can=allowed, badge=status_badge,
                          fan_url=rules.fan_page_url(release),
                          artwork_url=rules.artwork_url(release),
                          next_instant=rules.next_instant(release),
                          platform_name=platform_table.name,
                          **_history_context(release),
                          **_messages_context(release, self.appbuilder.sm),
                          **panel_context(release, request.args),
                          **links_context(release, link_form),
                          **share_context(release, share_form),
                          **ab_context(release, variant_form))

    @expose("/announce/<int:pk>", methods=["POST"])
    @has_access
    def announce(self, pk):
        return self._transition(pk, rules.announce)

    @expose("/archive/<int:pk>", methods=["POST"])
    @has_access
    def archive(self, pk):
        return self._transition(pk, rules.archive)

    @expose("/release_now/<int:pk>", methods=["POST"])
    @has_access
    def release_now(self, pk):
        """A surprise drop: out now, release day starts (app.releases.rules.release_now)."""
        return self._transition(pk, rules.release_now)

    def _transition(self, pk, action):
        release = _release_or_404(pk)
        self._require_csrf()
        try:
            action(release, g.user.username)
            db.session.commit()
            flash(f"“{release.title}” is now {release.status_label}", "success")
        except ValueError as exc:  # TransitionError included
            db.session.rollback()
            flash(str(exc), "danger")
        return redirect(url_for(".show", pk=pk))

    @expose("/change_dates/<int:pk>", methods=["POST"])
    @has_access
    def change_dates(self, pk):
        release = _release_or_404(pk)
        form = ScheduleForm.for_release(release)
        if form.validate():
            try:
                rules.change_dates(release, *form.local_times(), g.user.username,
                                   release_mode=form.release_mode.data)
            except rules.TransitionError as exc:
                db.session.rollback()
                flash(str(exc), "danger")
                return redirect(url_for(".show", pk=pk))
            except ValueError:
                db.session.rollback()
                form.schedule_onto(Release())  # the same rule again, to place its message
            else:
                db.session.commit()
                flash(f"The dates of “{release.title}” were changed", "success")
                return redirect(url_for(".show", pk=pk))
        return self._show_page(release, form, 422)

    _release_or_404 = staticmethod(_release_or_404)

    _require_csrf = staticmethod(require_csrf)

    def _page(self, template, status=200, **context):
        return self.render_template(template, **context), status


def _messages_context(release, sm):
    """The release's messages to fans and their recipients' states (counts only: Artist users
    read them too); the link to each for those who may open it."""
    found, _ = message_ledger.messages(release_id=release.id)
    return {"messages": found, "message_counts": message_ledger.counts([m.id for m in found]),
            "message_states": message_ledger.SHOWN_STATES,
            "message_labels": message_ledger.STATE_LABELS,
            "can_open_messages": sm.has_access("can_show", "MessagesView")}


HISTORY_SHOWN = 50  # the newest lines; "Show all" for the rest


def _history_context(release):
    """The History panel: the release's entries in the trail, with its status changes from
    before the trail (app.audit.reading.release_history)."""
    return {"history": audit_reading.release_history(release), "history_shown": HISTORY_SHOWN,
            "moment": moment}
