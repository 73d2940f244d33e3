"""Form fields shared by the admin views: colour pickers, image uploads, choices, and the empty
form whose CSRF token guards an action button."""
from flask import abort
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.forms import DynamicForm
from flask_wtf.file import FileField
from markupsafe import Markup
from wtforms import SelectField, StringField, ValidationError
from wtforms.validators import DataRequired, Optional
from wtforms.widgets import TextInput

from app import validation
from app.models.artist import FIELD_MODES
from app.uploads import read_image, read_upload


class ColorHexWidget(TextInput):
    """The colour as #rrggbb text (what is posted), a colour swatch beside it that the page's
    script keeps in step with it."""

    def __call__(self, field, **kwargs):
        text = super().__call__(field, class_="form-control color-hex", maxlength=7,
                                pattern="#[0-9a-fA-F]{6}", spellcheck="false",
                                autocomplete="off", placeholder="#rrggbb", **kwargs)
        value = field._value()
        swatch = Markup('<input type="color" class="color-swatch" value="{}" data-hex="{}" '
                        'aria-label="{}: pick">').format(
            value.lower() if validation.COLOR_RE.fullmatch(value) else field.default,
            field.id, field.label.text)
        return Markup('<span class="color-pair">{}{}</span>').format(swatch, text)


class ActionForm(DynamicForm):
    """No fields: only the CSRF token of an action button."""


def require_csrf():
    if not ActionForm().validate():
        abort(400, "The form has expired; reload the page and try again")


def color_field(label, default, description=""):
    return StringField(label, default=default, widget=ColorHexWidget(), description=description,
                       validators=[DataRequired("Give a colour as #rrggbb"),
                                   _rule(validation.color)])


def mode_field(label, default="optional", description=""):
    return SelectField(label, choices=FIELD_MODES, default=default, widget=Select2Widget(),
                       description=description)


NO_ZONE = "-"  # not "": Select2 would show an empty value as its placeholder, without a name


def timezone_field(label, zones, required=True, description="", blank=""):
    """A zone select; not ``required``, it starts with ``blank``, what no zone (None) means."""
    choices = [(z, z) for z in zones]
    if required:
        return SelectField(label, choices=choices, widget=Select2Widget(),
                           description=description, validators=[DataRequired()])
    return SelectField(label, choices=[(NO_ZONE, blank), *choices], widget=Select2Widget(),
                       description=description, validators=[Optional()],
                       coerce=lambda value: None if value in (NO_ZONE, None) else value)


def _rule(check):
    """Turn a validation function into a WTForms validator with its message."""
    def validate(form, field):
        if field.data in (None, ""):
            return
        try:
            field.data = check(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
    return validate


def rule(check):
    return _rule(check)


class ImageUpload(FileField):
    """An image checked by content (JPEG/PNG/WebP, size, dimensions) at validation."""

    def __init__(self, label, min_pixels=None, **kwargs):
        super().__init__(label, **kwargs)
        self.min_pixels = min_pixels
        self.image_bytes = None

    def pre_validate(self, form):
        if not self.data or not getattr(self.data, "filename", ""):
            return
        data = read_upload(self.data)
        try:
            read_image(data, min_pixels=self.min_pixels)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        self.image_bytes = data


def _label_needed_for_platform_admins(form, field):
    from app.tenants.context import current_scope

    scope = current_scope()
    if field.data is None and (scope is None or scope.everything):
        raise ValidationError("Choose the label this belongs to")


def label_field():
    """The label select: the platform admin chooses; label users get their own label."""
    from flask_appbuilder.fields import QuerySelectField

    from app.extensions import db
    from app.models import Label

    return QuerySelectField(
        "Label", query_func=lambda: db.session.query(Label).order_by(Label.name),
        get_pk_func=lambda label: label.id, allow_blank=True,
        blank_text="(your label)", widget=Select2Widget(),
        validators=[_label_needed_for_platform_admins],
        description="Platform admins choose; label staff always add to their own label.")
