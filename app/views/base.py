"""What every Presave admin view shares: human titles, values that read as words, and rejected
forms that answer 422 instead of a silent 200."""
import re
import tempfile
from datetime import date, datetime, timezone

from flask import Response, abort, g, request
from flask_appbuilder import ModelView
from markupsafe import Markup

from app import audit
from app.extensions import db
from app.localtime import zone
from app.platform_table import PLATFORM_NAMES
from app.validation import MAX_ID
from app.views.public.brands import brand

EMPTY = "—"


def viewer_zone():
    """The zone the reader's times are shown in: their own choice (Your details), else their
    label's, else UTC (the platform admin)."""
    user = getattr(g, "user", None)
    label = getattr(user, "label", None)
    chosen = getattr(user, "timezone", None) or (label.timezone if label is not None else None)
    try:
        return zone(chosen) if chosen else timezone.utc
    except ValueError:
        return timezone.utc


def moment(value):
    """A stored instant to the minute in the reader's zone, the exact UTC time on hover."""
    utc = (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    local = utc.astimezone(viewer_zone())
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        utc.isoformat(timespec="minutes"), utc.strftime("%d %b %Y, %H:%M UTC"),
        local.strftime("%d %b %Y, %H:%M ") + (local.tzname() or "UTC"))


def humane(value):
    """A stored value as a person reads it: "—" for nothing, Yes/No, times to the minute in
    the reader's zone (app.views.base.moment), lists joined by commas."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return moment(value)
    if isinstance(value, date):
        return value.strftime("%d %b %Y")
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{PLATFORM_NAMES.get(k, k)}: {v}" for k, v in value.items() if v) or EMPTY
    return value


def platform(value):
    """A platform key as its logo and name."""
    if not value:
        return EMPTY
    if value not in PLATFORM_NAMES:
        return value
    return Markup('<span class="platform-name">{} {}</span>').format(brand(value).svg,
                                                                    PLATFORM_NAMES[value])


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

    def _visible(self, pk):
        """The row ``pk`` as this person's scope sees it; anyone else's, or a number no row
        can have, is a 404."""
        item = self.datamodel.get(int(pk), self._base_filters) \
            if str(pk).isdecimal() and 0 < int(pk) <= MAX_ID else None
        if item is None:
            abort(404)
        return item

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


SEARCHES = frozenset({"q", "search"})  # free text: a fan's name or address, never kept
FILTER_KEY = re.compile(r"^[a-z_]{1,30}$")


def filters_of(args):
    """The query's filters, as an export's entry in the trail keeps them: a search only as
    the fact that there was one, keys that name no filter not at all."""
    return {"filters": {key: "(a search)" if key in SEARCHES else value[:100]
                        for key, value in list(args.items())[:12]
                        if FILTER_KEY.match(key) and value}}


def exported_csv(lines, filename, action, obj=None, detail=None, **about):
    """A CSV export of data (app.csv_export.lines: a header, then a line per row), recorded in
    the trail with its row count and committed before the first byte leaves: written to a
    temporary file first (in memory up to 1 MB)."""
    spool = tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+", encoding="utf-8",
                                          newline="")
    rows = -1  # the header is not a row
    for line in lines:
        spool.write(line)
        rows += 1
    audit.record(action, obj, detail={"rows": max(rows, 0), **(detail or {})}, **about)
    db.session.commit()
    spool.seek(0)

    def chunks():
        with spool:
            while chunk := spool.read(1 << 16):
                yield chunk
    return Response(chunks(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
