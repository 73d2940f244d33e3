"""What every Presave admin view shares: human titles, values that read as words, and rejected
forms that answer 422 instead of a silent 200."""
from datetime import date, datetime, timezone

from flask import g, request
from flask_appbuilder import ModelView

from app.platform_table import PLATFORM_NAMES

EMPTY = "—"


def humane(value):
    """A stored value as a person reads it: "—" for nothing, Yes/No, times to the minute in
    UTC, lists joined by commas."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return aware.astimezone(timezone.utc).strftime("%d %b %Y, %H:%M UTC")
    if isinstance(value, date):
        return value.strftime("%d %b %Y")
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{PLATFORM_NAMES.get(k, k)}: {v}" for k, v in value.items() if v) or EMPTY
    return value


def platform(value):
    return PLATFORM_NAMES.get(value, value) if value else EMPTY


def words(value):
    """A stored key as words: "email_marketing" → "Email marketing"."""
    return str(value).replace("_", " ").capitalize() if value else EMPTY


class PresaveModelView(ModelView):
    """A ModelView with human titles (from ``noun``) and values (``humane`` on every column
    without a formatter of its own); a rejected form answers 422."""

    noun = None  # ("fan", "fans"): its pages' titles, "Fans", "Fan", "New fan", "Edit fan"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.noun:
            one, many = cls.noun
            defaults = {"list_title": many.capitalize(), "show_title": one.capitalize(),
                        "add_title": f"New {one}", "edit_title": f"Edit {one}"}
            for name, title in defaults.items():
                if name not in cls.__dict__:
                    setattr(cls, name, title)
        own = dict(cls.__dict__.get("formatters_columns") or {})
        shown = [*(getattr(cls, "list_columns", None) or []), *(getattr(cls, "show_columns", None) or [])]
        cls.formatters_columns = {
            **{column: (platform if column == "platform" else humane) for column in shown},
            **own}

    def _add(self):
        widgets = super()._add()
        if request.method == "POST" and widgets is not None:
            g.form_rejected = True
        return widgets

    def _edit(self, pk):
        widgets = super()._edit(pk)
        if request.method == "POST" and widgets is not None:
            g.form_rejected = True
        return widgets


def mark_rejected_forms(response):
    if g.get("form_rejected") and response.status_code == 200:
        response.status_code = 422
    return response
