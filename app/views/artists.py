"""The roster: artists, their branding and the data wrapper on their pages.

The add and edit pages are a branding editor: beside FAB's form, the artist's real fan page at
phone size, rendered from the unsaved form (preview) with the contrast of each text/background
pair (contrast), both measured by the fan page's own code (app.views.public.page)."""
import base64
from datetime import datetime, time, timedelta

from flask import abort, g, jsonify, make_response, render_template, request, url_for
from flask_babel.speaklater import LazyString
from flask_appbuilder import expose, has_access
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access_api, permission_name
from flask_appbuilder.widgets import FormWidget
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value
from wtforms import BooleanField, SelectField, StringField, ValidationError
from wtforms.validators import Length, Optional

from app import languages, validation
from app.extensions import db
from app.localtime import all_zones, now_utc, to_utc
from app.models import Artist, Label, Release
from app.models.artist import DEFAULT_CONSENTS
from app.models.fan import EMAIL_MARKETING, SMS_MARKETING
from app.models.release import PRESAVE_ACTIVE
from app.platform_table import DEFAULT_PLATFORMS, DESCRIPTORS, PLATFORM_CHOICES
from app.platform_table import name as platform_name
from app.platforms.registry import following_platforms
from app.platforms.web_links import artist_id
from app.tenants.context import current_scope
from app.uploads import MIME_BY_EXT, read_image, store_image
from app.views.base import PresaveModelView, humane
from app.views.fields import (ImageUpload, color_field, label_field, mode_field, rule,
                              timezone_field)
from app.views.public import page
from app.views.public.setup import build as build_setup
from app.views.public.speed.page_cache import PAGE_TEMPLATE
from app.views.public.visitor.headers import content_security_policy, csp_nonce
from app.releases.state import PRESAVE

PLATFORM_ID_FIELDS = {f"{key}_artist_id": key for key, _ in PLATFORM_CHOICES}
CONSENT_PURPOSES = {EMAIL_MARKETING: "Email", SMS_MARKETING: "SMS"}
# "consent_email_marketing__ja" -> (ja, email_marketing): the consent texts in other languages
CONSENT_TEXT_FIELDS = {f"consent_{purpose}__{lang.code}": (lang, purpose)
                       for lang in languages.offered()[1:] for purpose in CONSENT_PURPOSES}
COLOR_FIELDS = list(page.DEFAULT_COLORS)
IMAGE_RULES = "JPEG, PNG or WebP, at least 300×300"
TEXT_INPUT = {"class": "form-control", "autocomplete": "off", "spellcheck": "false"}

LABELS = {
    "name": "Name", "slug": "Fan page address", "label": "Label", "timezone": "Time zone",
    "default_language": "Default language",
    "bio": "About the artist", "image": "Artist image", "image_upload": "Artist image",
    "background_color": "Background colour", "text_color": "Text colour",
    "accent_color": "Accent colour", "primary_color": "Second colour",
    "wrapper_enabled": "Ask fans for details", "collect_name": "Ask for their name",
    "collect_email": "Ask for their email", "collect_phone": "Ask for their mobile number",
    "consent_email_text": "Consent text for email", "consent_sms_text": "Consent text for SMS",
    "offer_follow": "Offer fans to follow the artist",
    "platform_ids": "Platform artist ids", "created_at": "Added",
    **{field: f"{DESCRIPTORS[key].name} artist id" for field, key in PLATFORM_ID_FIELDS.items()},
}
def _listed(keys):
    said = [platform_name(key) for key in keys]
    return ", ".join(said[:-1]) + f" and {said[-1]}" if len(said) > 1 else "".join(said)


DESCRIPTIONS = {
    "name": "As fans read it on every page",
    "slug": "The artist's part of every fan page address, /s/<address>/…: lower-case letters, "
            "digits and single dashes",
    "timezone": "New releases start in this zone",
    "default_language": "Fan pages speak the language a fan picks or their browser asks for; "
                        "this one when it asks for none of those offered",
    "bio": "A few words on the artist's own page",
    "image_upload": f"{IMAGE_RULES}: beside the artist's name on every release page",
    "background_color": "Behind everything on the fan page",
    "text_color": "The title and every word on the background",
    "accent_color": "The pre-save buttons, the countdown and the outlines",
    "primary_color": "The countdown and outlines use it where the accent does not read on the "
                     "background",
    "wrapper_enabled": "Ask fans for the details below before they pre-save",
    "collect_name": "Off, optional or required", "collect_email": "Off, optional or required",
    "collect_phone": "Off, optional or required; fans give it for text messages",
    "consent_email_text": "Beside the unticked box a fan ticks to hear from the artist by email; "
                          "each consent keeps the words the fan saw",
    "consent_sms_text": "The same, for text messages, when the page asks for a mobile number",
    "offer_follow": "After the pre-save, a fan may follow the artist in one tap on "
                    f"{_listed(following_platforms())} (each their own choice, never done "
                    "for them), where the artist's id is given below",
}


def _platform_description(key):
    facts = DESCRIPTORS[key]
    return Markup('{}: {}. <a href="{}" target="_blank" rel="noopener">Find the artist on {}'
                  '<span class="sr-only"> (opens in a new tab)</span></a>').format(
        facts.name, facts.artist_id_help, facts.search.format(path="", query=""), facts.name)


def _swatch(value):
    """A colour on the record page: a chip of it beside its hex value."""
    if not isinstance(value, str) or not validation.COLOR_RE.fullmatch(value):
        return humane(value)
    return Markup('<span aria-hidden="true" style="display:inline-block;width:1.2em;height:1.2em;'
                  'vertical-align:middle;border:1px solid #888;background:{}"></span> {}').format(
        value, value)


def _artist_id_rule(key):
    return rule(lambda value: artist_id(key, value))


def _slug_is_free(form, field):
    """Artist slugs are global (they are fan page addresses), so look across labels."""
    stmt = select(Artist.id).where(Artist.slug == field.data)
    taken = db.session.execute(stmt, execution_options={"all_tenants": True}).scalar()
    if taken is not None and taken != getattr(form, "_id", None):
        raise ValidationError("This slug is already taken; choose another")


def _color(name):
    return color_field(LABELS[name], page.DEFAULT_COLORS[name], DESCRIPTIONS[name])


def _image_field():
    return ImageUpload(LABELS["image_upload"], min_pixels=300,
                       description=DESCRIPTIONS["image_upload"])


def _artist_form_fields():
    fields = {
        "label": label_field(),
        "slug": StringField(LABELS["slug"], description=DESCRIPTIONS["slug"],
                            render_kw=TEXT_INPUT,
                            validators=[rule(validation.slug), _slug_is_free]),
        **{name: _color(name) for name in COLOR_FIELDS},
        "wrapper_enabled": BooleanField(LABELS["wrapper_enabled"], default=True,
                                        description=DESCRIPTIONS["wrapper_enabled"]),
        "offer_follow": BooleanField(LABELS["offer_follow"],
                                     description=DESCRIPTIONS["offer_follow"]),
        "collect_name": mode_field(LABELS["collect_name"],
                                   description=DESCRIPTIONS["collect_name"]),
        "collect_email": mode_field(LABELS["collect_email"],
                                    description=DESCRIPTIONS["collect_email"]),
        "collect_phone": mode_field(LABELS["collect_phone"], "off",
                                    description=DESCRIPTIONS["collect_phone"]),
        "timezone": timezone_field(LABELS["timezone"], all_zones(), required=False,
                                   description=DESCRIPTIONS["timezone"],
                                   blank="The label's time zone"),
        "image_upload": _image_field(),
        "default_language": SelectField(LABELS["default_language"], choices=languages.choices,
                                        default=languages.ENGLISH, widget=Select2Widget(),
                                        description=DESCRIPTIONS["default_language"]),
    }
    for name, key in PLATFORM_ID_FIELDS.items():
        fields[name] = StringField(LABELS[name], description=_platform_description(key),
                                   render_kw=TEXT_INPUT,
                                   validators=[Optional(), _artist_id_rule(key)])
    for name, (lang, purpose) in CONSENT_TEXT_FIELDS.items():
        fields[name] = StringField(
            f"{CONSENT_PURPOSES[purpose]} consent · {lang.name}",
            description="Left empty, fans reading this language see the default shown greyed",
            render_kw={"class": "form-control", "lang": lang.tag, "dir": lang.direction,
                       "placeholder": LazyString(languages.gettext_in, lang,
                                                 DEFAULT_CONSENTS[purpose])},
            validators=[Optional(), rule(lambda value: validation.plain_text(
                value, 500, "consent text"))])
    return fields


def _consent_texts(form):
    """{"ja": {"email_marketing": "..."}} of the consent text fields filled in."""
    texts = {}
    for name, (lang, purpose) in CONSENT_TEXT_FIELDS.items():
        text = validation.plain_text(form[name].data, 500, "consent text")
        if text:
            texts.setdefault(lang.code, {})[purpose] = text
    return texts


class PreviewForm(DynamicForm):
    """What the fan page preview reads of the artist form: the rest does not show there."""

    name = StringField(validators=[Optional(), Length(max=120)])
    image_upload = _image_field()


for _name in COLOR_FIELDS:
    setattr(PreviewForm, _name, _color(_name))


class BrandingFormWidget(FormWidget):
    """FAB's form, its fields by fieldset, the contrast of the colours under them and a button
    that shows the unsaved form in the preview beside it."""

    template = "artists/form.html"

    def __call__(self, **kwargs):
        form = self.template_args["form"]
        colors = {name: form[name].data for name in COLOR_FIELDS}
        kwargs.update(color_fields=COLOR_FIELDS,
                      pairs=page.contrast_pairs(Artist(**colors)))
        return super().__call__(**kwargs)


class ArtistView(PresaveModelView):
    """The roster: artists, their branding and the data wrapper on their pages."""

    datamodel = SQLAInterface(Artist)
    route_base = "/artists"
    noun = ("artist", "artists")
    list_columns = ["name", "label", "release_count", "fan_count", "presave_count", "timezone",
                    "created_at"]
    show_columns = ["name", "slug", "label", "timezone", "default_language", "bio", "image",
                    "primary_color",
                    "accent_color", "background_color", "text_color", "wrapper_enabled",
                    "collect_name", "collect_email", "collect_phone", "consent_email_text",
                    "consent_sms_text", "offer_follow", "platform_ids"]
    label_columns = {**LABELS, "release_count": "Releases", "fan_count": "Fans",
                     "presave_count": "Pre-saves", "created_at": "Added"}
    description_columns = DESCRIPTIONS
    formatters_columns = {**{name: _swatch for name in COLOR_FIELDS},
                          "default_language": languages.name_of}
    fieldsets = [
        ("Artist", {"fields": ["label", "name", "slug", "timezone", "default_language", "bio"]}),
        ("Branding", {"fields": ["image_upload", *COLOR_FIELDS]}),
        ("What fans are asked before they pre-save", {"fields": [
            "wrapper_enabled", "collect_name", "collect_email", "collect_phone",
            "consent_email_text", "consent_sms_text", "offer_follow"]}),
        ("Consent texts in other languages", {"fields": list(CONSENT_TEXT_FIELDS)}),
        ("Platform artist ids", {"fields": list(PLATFORM_ID_FIELDS)}),
    ]
    add_fieldsets = edit_fieldsets = fieldsets
    add_columns = edit_columns = [name for _, part in fieldsets for name in part["fields"]]
    add_form_extra_fields = edit_form_extra_fields = _artist_form_fields()
    add_widget = edit_widget = BrandingFormWidget
    add_template, edit_template = "artists/add.html", "artists/edit.html"
    search_columns = ["name", "slug"]
    base_order = ("name", "asc")

    def prefill_form(self, form, pk):
        artist = self.datamodel.get(pk)
        for name, key in PLATFORM_ID_FIELDS.items():
            getattr(form, name).data = (artist.platform_ids or {}).get(key)
        for name, (lang, purpose) in CONSENT_TEXT_FIELDS.items():
            getattr(form, name).data = ((artist.consent_texts or {}).get(lang.code)
                                        or {}).get(purpose)

    def process_form(self, form, is_created):
        g.artist_extras = {
            "image": form.image_upload.image_bytes,
            "platform_ids": {key: form[name].data for name, key in PLATFORM_ID_FIELDS.items()
                             if form[name].data},
            "consent_texts": _consent_texts(form),
        }

    def pre_add(self, item):
        self._apply_extras(item)

    def pre_update(self, item):
        self._apply_extras(item)

    @staticmethod
    def _apply_extras(item):
        extras = g.pop("artist_extras", {})
        item.platform_ids = extras.get("platform_ids", {})
        item.consent_texts = extras.get("consent_texts", {})
        if extras.get("image"):
            item.image = store_image(extras["image"], min_pixels=300)

    def _get_add_widget(self, form, exclude_cols=None, widgets=None):
        widgets = super()._get_add_widget(form, exclude_cols, widgets)
        widgets["add"].template_args["preview_url"] = url_for(".preview_new")
        return widgets

    def _get_edit_widget(self, form, exclude_cols=None, widgets=None):
        widgets = super()._get_edit_widget(form, exclude_cols, widgets)
        pk = request.view_args["pk"]
        stored = self.datamodel.get(pk)
        widgets["edit"].template_args.update(preview_url=url_for(".preview", pk=pk),
                                             current_image=stored.image if stored else None)
        return widgets

    @expose("/preview/", methods=["POST"])
    @has_access
    @permission_name("add")
    def preview_new(self):
        """The fan page of the artist being added, from the unsaved form."""
        return self._preview(None)

    @expose("/preview/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("edit")
    def preview(self, pk):
        """The fan page of this artist with the unsaved form's branding."""
        stored = self.datamodel.get(pk)
        if stored is None:
            abort(404)
        return self._preview(stored)

    @expose("/contrast/")
    @has_access_api
    @permission_name("list")
    def contrast(self):
        """The contrast of each text/background pair the colours make (query: the colour
        fields), as the fan page measures it."""
        colors, errors = {}, {}
        for name in COLOR_FIELDS:
            try:
                colors[name] = validation.color(request.args.get(name, page.DEFAULT_COLORS[name]))
            except ValueError as exc:
                errors[name] = f"{LABELS[name]}: {exc}"
        if errors:
            return jsonify(message=" ".join(errors.values()), errors=errors), 422
        pairs = page.contrast_pairs(Artist(**colors))
        response = jsonify(pairs=[{"name": p.name, "ratio": round(p.ratio, 2), "passes": p.passes,
                                   "words": p.words} for p in pairs])
        response.headers["Cache-Control"] = "private, no-store"
        return response

    def _preview(self, stored):
        form = PreviewForm()
        label = stored.label if stored is not None else _label_for_new_artist()
        if not form.validate() or label is None:
            messages = [f"{LABELS.get(name, 'The form')}: {' '.join(errors)}"
                        for name, errors in form.errors.items()]
            if label is None:
                messages.append("Choose the label this artist belongs to first.")
            return _framed(render_template(
                "fan/message.html", title="The preview is not updated",
                message=" ".join(messages), csp_nonce=csp_nonce), 422)
        artist = _unsaved_artist(form, stored, label)
        release = _sample_release(artist, stored)
        try:
            context = page.context(artist, release, build_setup(label.id, release.platforms),
                                   None, PRESAVE)
            if form.image_upload.image_bytes:
                context["avatar"] = _data_url(form.image_upload.image_bytes)
            body = render_template(PAGE_TEMPLATE, action="", messages=[],
                                   csp_nonce=csp_nonce, csrf_token=lambda: "", **context)
        finally:
            db.session.rollback()  # nothing of the preview may reach the database
        return _framed(body, 200)


def _label_for_new_artist():
    scope = current_scope()
    label_id = scope.label_id if scope is not None and not scope.everything else \
        request.form.get("label", type=int)
    return db.session.get(Label, label_id) if label_id else None


def _unsaved_artist(form, stored, label):
    """A transient Artist: the stored one's settings (or the defaults), the form's branding.
    Its label is set without the relationship's events, so no backref carries it into the
    session."""
    artist = Artist(
        name=form.name.data or (stored.name if stored else "New artist"),
        slug=stored.slug if stored else "new-artist",
        image=None if form.image_upload.image_bytes else (stored.image if stored else None),
        label_id=label.id, **{name: form[name].data for name in COLOR_FIELDS})
    set_committed_value(artist, "label", label)
    return artist


def _sample_release(artist, stored):
    """A transient release in pre-save a week before its release: the artist's newest release's
    title, artwork and platforms, or a stand-in for an artist without one."""
    newest = db.session.scalars(select(Release).where(Release.artist_id == stored.id)
                                .order_by(Release.release_at.desc()).limit(1)).first() \
        if stored is not None else None
    zone = (stored.timezone if stored else None) or artist.label.timezone or "UTC"
    now = now_utc()
    release_local = datetime.combine((now + timedelta(days=7)).date(), time())
    release = Release(
        title=newest.title if newest else "Your next release",
        slug=newest.slug if newest else "next-release",
        artwork=newest.artwork if newest else None,
        headline=newest.headline if newest else None,
        description=newest.description if newest else None,
        platforms=list(newest.platforms) if newest else list(DEFAULT_PLATFORMS),
        timezone=zone, release_mode="global", status=PRESAVE_ACTIVE,
        label_id=artist.label_id, presave_opens_local=release_local - timedelta(days=14),
        presave_opens_at=now - timedelta(days=7), release_local=release_local,
        release_at=to_utc(release_local, zone).utc)
    set_committed_value(release, "artist", artist)
    return release


def _data_url(data):
    extension, _, _ = read_image(data, min_pixels=300)
    return f"data:{MIME_BY_EXT[extension]};base64,{base64.b64encode(data).decode()}"


def _framed(body, status):
    """A preview for the editor's frame: the fan pages' policy, framed by this origin only,
    kept by nobody."""
    response = make_response(body, status)
    response.headers["Content-Security-Policy"] = content_security_policy("'self'")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
