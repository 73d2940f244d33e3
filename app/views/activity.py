"""Account → Activity: who did what, from the audit trail (app.audit.reading).

A Label Admin reads the label's entries, Label Staff only their own (whatever the query string
asks), the platform operator every label's and the platform's own, with a label filter. The
filters (person, kind, days in the reader's zone) are a plain GET form; a chart of entries per
day sits above the table, and "Download CSV" gives the same entries, itself an entry in the
trail. A filter that cannot be read is left out with a message (400), never a 500.
"""
from dataclasses import dataclass, field
from datetime import date, timedelta

import plotly.graph_objects as go
import plotly.io as pio
from flask import abort, request
from flask_appbuilder import BaseView, expose, has_access

from app.analytics.figures import ACCENT, BASE_LAYOUT, DAY_MS
from app.audit import reading
from app.csv_export import lines
from app.localtime import now_utc
from app.tenants.context import current_scope
from app.tenants.roles import ROLE_ADMIN, ROLE_LABEL_ADMIN
from app.validation import MAX_ID
from app.views.base import exported_csv, moment, viewer_zone

EVERYONE = (ROLE_ADMIN, ROLE_LABEL_ADMIN)  # who reads everyone's entries; the rest their own
CHART_DAYS, CHART_MAX_DAYS = 30, 366
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
LAST_PAGE = 10**6


@dataclass(frozen=True)
class Reader:
    user_id: int
    operator: bool  # every label, and the platform's own entries
    everyone: bool  # everyone's entries, not only their own

    @classmethod
    def now(cls):
        scope = current_scope()
        if scope is None or scope.user_id is None:
            abort(403)
        return cls(scope.user_id, scope.everything, scope.role in EVERYONE)


@dataclass
class Asked:
    """The query string, read: the filters, the values the form and links keep, what was
    wrong (each left out)."""

    filters: reading.Filters = reading.Filters()
    given: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    first: date | None = None
    last: date | None = None
    page: int = 1


def read_query(args, reader, tz, people):
    """Read the filters for ``reader``: Label Staff get their own entries whatever ``args``
    say; ``people``: the person menu, against which a name (not an id) is checked."""
    asked = Asked()
    found = {}
    if reader.everyone:
        found.update(_person(args.get("person", "").strip(), people, asked))
    else:
        found["user_id"] = reader.user_id
    kind = args.get("kind", "").strip()
    if kind and reading.KIND_SHAPE.fullmatch(kind):
        found["kind"] = asked.given["kind"] = kind
    elif kind:
        asked.problems.append("The kind is not one of the list.")
    asked.first, asked.last = _day(args, "from", asked), _day(args, "to", asked)
    if asked.first and asked.last and asked.last < asked.first:
        asked.problems.append(f"The end date ({asked.last:%d %b %Y}) is before the start date "
                              f"({asked.first:%d %b %Y}).")
        asked.first = asked.last = None
        asked.given.pop("from"), asked.given.pop("to")
    if asked.first:
        found["since"] = reading.day_start(asked.first, tz)
    if asked.last:
        found["until"] = reading.day_start(asked.last + timedelta(days=1), tz)
    if reader.operator:
        found.update(_label(args.get("label", "").strip(), asked))
    page = _number(args.get("page", "1").strip(), LAST_PAGE)
    if page:
        asked.page = page
    else:
        asked.problems.append("The page is a number from 1.")
    asked.filters = reading.Filters(**found)
    return asked


def _person(text, people, asked):
    if not text:
        return {}
    if _number(text):
        asked.given["person"] = text
        return {"user_id": int(text)}
    if not text.isdigit() and text in {p.value for p in people}:
        asked.given["person"] = text
        return {"actor": text}
    asked.problems.append("The person is not one of the list.")
    return {}


def _number(text, top=MAX_ID):
    """A whole number from 1 to ``top`` typed in the query, or None ("²" is a digit to
    str.isdigit, not to int)."""
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= top else None


def _day(args, name, asked):
    text = args.get(name, "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None or not EARLIEST <= day <= LATEST:
        asked.problems.append(f"“{name.capitalize()}” is a date like 2026-05-01, between "
                              f"{EARLIEST.year} and {LATEST.year}.")
        return None
    asked.given[name] = text
    return day


def _label(text, asked):
    if not text:
        return {}
    if text == reading.NO_LABEL:
        asked.given["label"] = text
        return {"label": reading.NO_LABEL}
    label_id = _number(text)
    if label_id is None or label_id not in reading.labels():
        asked.problems.append("The label is not one of the list.")
        return {}
    asked.given["label"] = text
    return {"label": label_id}


class ActivityView(BaseView):
    route_base = "/activity"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        reader, tz = Reader.now(), viewer_zone()
        people = reading.people() if reader.everyone else []
        asked = read_query(request.args, reader, tz, people)
        found, total = reading.entries(asked.filters, asked.page)
        names = reading.labels() if reader.operator else {}
        rows = [{"id": e.id, "action": e.action, "when": moment(e.at), "who": reading.who(e),
                 "role": e.actor_role, "how": reading.how(e, unsaid=True),
                 "what": reading.sentence(e, actor=False), "changes": reading.changes(e),
                 "detail": reading.detail(e),
                 "label": reading.label_name(e.label_id, names) if reader.operator else None}
                for e in found]
        days = _chart_days(asked, tz)
        return self.render_template(
            "activity/index.html", reader=reader, rows=rows, total=total, page=asked.page,
            page_size=reading.PAGE_SIZE, asked=asked, people=people,
            kinds=reading.kinds(reading.Filters(user_id=None if reader.everyone
                                                else reader.user_id)),
            labels=sorted(names.items(), key=lambda item: item[1].lower()),
            no_label=reading.NO_LABEL, days=days, zone=_zone_name(tz),
            chart=_per_day_figure(reading.per_day(asked.filters, *days, tz)) if days else None,
        ), 400 if asked.problems else 200, {"Cache-Control": "private, no-store"}

    @expose("/activity.csv")
    @has_access
    def csv(self):
        reader = Reader.now()
        asked = read_query(request.args, reader, viewer_zone(),
                           reading.people() if reader.everyone else [])
        if asked.problems:
            abort(400, "The CSV was not made: " + " ".join(asked.problems))
        label = asked.filters.label
        filters = {**asked.given, **({} if reader.everyone else {"person": str(reader.user_id)})}
        return exported_csv(lines(reading.csv_rows(asked.filters), reading.CSV_COLUMNS),
                            "activity.csv", "export.activity",
                            label_id=current_scope().label_id or (
                                label if isinstance(label, int) else None),
                            detail={"filters": filters})


def _chart_days(asked, tz):
    """(first, last) day the chart shows: the filter's days up to today, else the last 30;
    from the first entry found on, and at most a year."""
    oldest = reading.first_day(asked.filters, tz)
    if oldest is None:
        return None
    today = now_utc().astimezone(tz).date()
    last = min(asked.last or today, today)
    if asked.first:  # from the first entry found, not years of nothing before it
        first = max(asked.first, oldest)
    else:
        first = last - timedelta(days=CHART_DAYS - 1)
    first = max(first, last - timedelta(days=CHART_MAX_DAYS - 1))
    return (first, last) if first <= last else None


def _per_day_figure(days):
    if not any(count for _, count in days):
        return None
    figure = go.Figure(go.Bar(
        x=[day.isoformat() for day, _ in days], y=[count for _, count in days],
        marker_color=ACCENT, name="Entries", hovertemplate="%{x|%-d %b %Y}: %{y:,}<extra></extra>"))
    axis = dict(type="date", tickformat="%-d %b", fixedrange=True)
    if len(days) <= 14:  # few days: one tick each, never hours between them
        axis.update(dtick=DAY_MS, tick0=days[0][0].isoformat())
    small = max(count for _, count in days) <= 5
    figure.update_layout(**{**BASE_LAYOUT, "height": 220, "showlegend": False,
                            "margin": dict(l=40, r=10, t=10, b=30), "xaxis": axis,
                            "yaxis": dict(rangemode="tozero", tickformat=",d", fixedrange=True,
                                          **(dict(dtick=1) if small else {}))})
    return pio.to_json(figure, validate=False)


def _zone_name(tz):
    return getattr(tz, "key", None) or "UTC"
