"""Plotly figures for the analytics dashboards, built from app.analytics.queries results.

Each builder returns the figure as JSON text, or None when there is nothing to draw (the
page then says so in words rather than drawing empty axes); app/static/analytics.js draws
every element that carries one with the plotly.js the app serves itself.
"""
import plotly.graph_objects as go
import plotly.io as pio

from app.analytics.queries import DELIVERED, PRESAVE, REMINDER, VIEW

DAY_MS = 86400000
ACCENT, SECOND, THIRD, MUTED = "#1db954", "#3a6ea5", "#f2b134", "#9aa5b1"
BASE_LAYOUT = dict(margin=dict(l=40, r=20, t=30, b=40), height=320, paper_bgcolor="white",
                   plot_bgcolor="white", font=dict(family="Helvetica, Arial, sans-serif",
                                                   size=12),
                   legend=dict(orientation="h", y=-0.2))
KIND_NAMES = {VIEW: "Page views", PRESAVE: "Pre-saves", REMINDER: "Reminder sign-ups",
              DELIVERED: "Delivered"}


def _counts(title, values, **axis):
    """An axis of fans or views: whole numbers from zero (never "1.5 fans"), one tick per
    unit while the counts are small."""
    small = max(values, default=0) <= 5
    return dict(title=title, rangemode="tozero", tickformat=",d",
                **(dict(tickmode="linear", tick0=0, dtick=1) if small else dict(tickmode="auto")),
                **axis)


def _views_axis(values):
    return _counts("Page views", values, overlaying="y", side="right", showgrid=False)


def _json(figure, **layout):
    figure.update_layout(**{**BASE_LAYOUT, **layout})
    return pio.to_json(figure, validate=False)


def funnel(report):
    steps = report["steps"]
    if not any(step["count"] for step in steps):
        return None
    figure = go.Figure(go.Funnel(
        y=[step["label"] for step in steps], x=[step["count"] for step in steps],
        textinfo="value+percent previous+percent initial", marker=dict(color=ACCENT),
        connector=dict(line=dict(color=MUTED))))
    return _json(figure, margin=dict(l=120, r=20, t=20, b=20))


def platforms(rows):
    if not rows:
        return None
    figure = go.Figure(go.Pie(labels=[row["name"] for row in rows],
                              values=[row["presaves"] for row in rows], hole=0.55,
                              textinfo="label+percent", sort=False))
    return _json(figure, showlegend=False)


def city_map(cities):
    placed = [c for c in cities if c["latitude"] is not None and c["longitude"] is not None]
    if not placed:
        return None
    weight = [c["presaves"] or c["views"] for c in placed]
    largest = max(weight, default=1) or 1
    figure = go.Figure(go.Scattergeo(
        lat=[c["latitude"] for c in placed], lon=[c["longitude"] for c in placed],
        text=[f"{c['city']}, {c['country']}: {c['presaves']} pre-saves, {c['views']} views"
              for c in placed],
        hoverinfo="text", mode="markers",
        marker=dict(size=weight, sizemode="area", sizeref=2.0 * largest / 40 ** 2, sizemin=3,
                    color=ACCENT, opacity=0.7, line=dict(width=0.5, color="#0b3954"))))
    figure.update_geos(projection_type="natural earth", showcountries=True,
                       countrycolor="#c8ced6", showland=True, landcolor="#f1f3f5",
                       showocean=True, oceancolor="#e6f0fa", showframe=False)
    return _json(figure, height=380, margin=dict(l=0, r=0, t=0, b=0))


def trend(days, grain):
    if not any(e[kind] for e in days for kind in KIND_NAMES):
        return None
    x = [entry["day"] for entry in days]
    figure = go.Figure([
        go.Bar(x=x, y=[e[PRESAVE] for e in days], name=KIND_NAMES[PRESAVE],
               marker_color=ACCENT),
        go.Bar(x=x, y=[e[REMINDER] for e in days], name=KIND_NAMES[REMINDER],
               marker_color=THIRD),
        go.Scatter(x=x, y=[e[DELIVERED] for e in days], name=KIND_NAMES[DELIVERED],
                   mode="lines+markers", line=dict(color="#0b3954")),
        go.Scatter(x=x, y=[e[VIEW] for e in days], name=KIND_NAMES[VIEW], yaxis="y2",
                   mode="lines", line=dict(color=MUTED, dash="dot")),
    ])
    title = "Week of (Monday, UTC)" if grain == "week" else "Day (UTC)"
    step = DAY_MS * (7 if grain == "week" else 1)
    axis = dict(title=title, type="date", tickformat="%-d %b %Y", hoverformat="%-d %b %Y")
    if len(days) <= 14:  # few points: one tick each, never hours between them
        axis.update(dtick=step, tick0=days[0]["day"])
    return _json(figure, barmode="stack", xaxis=axis,
                 yaxis=_counts("Fans", [max(e[PRESAVE] + e[REMINDER], e[DELIVERED])
                                        for e in days]),
                 yaxis2=_views_axis([e[VIEW] for e in days]))


def sources(rows):
    return _views_and_presaves(rows, "referrer", "views", "Page views")


def short_links(rows):
    """Visits and pre-saves per short link (None while no link has a visit)."""
    if not any(row["visits"] for row in rows):
        return None
    return _views_and_presaves(rows, "name", "visits", "Visits")


def _views_and_presaves(rows, name_key, views_key, views_label):
    """Two horizontal bars per row, the first row on top."""
    if not rows:
        return None
    names = [row[name_key] for row in rows][::-1]
    figure = go.Figure([
        go.Bar(y=names, x=[row[views_key] for row in rows][::-1], orientation="h",
               name=views_label, marker_color=MUTED),
        go.Bar(y=names, x=[row["presaves"] for row in rows][::-1], orientation="h",
               name="Pre-saves", marker_color=ACCENT)])
    return _json(figure, barmode="group", margin=dict(l=140, r=20, t=20, b=40),
                 xaxis=_counts(None, [row[views_key] for row in rows]))


def releases_side_by_side(rows):
    if not any(row["views"] or row["presaves"] or row["delivered"] for row in rows):
        return None
    titles = [row["title"] for row in rows]
    figure = go.Figure([
        go.Bar(x=titles, y=[row["presaves"] for row in rows], name="Pre-saves",
               marker_color=ACCENT),
        go.Bar(x=titles, y=[row["delivered"] for row in rows], name="Delivered",
               marker_color=SECOND),
        go.Scatter(x=titles, y=[row["views"] for row in rows], name="Page views", yaxis="y2",
                   mode="lines+markers", line=dict(color=MUTED, dash="dot"))])
    return _json(figure, barmode="group",
                 yaxis=_counts("Fans", [max(row["presaves"], row["delivered"]) for row in rows]),
                 yaxis2=_views_axis([row["views"] for row in rows]))


def race(rows, race_points):
    """Cumulative pre-saves against days since the pre-save opened, one step line per
    release, from none on the day it opened."""
    if not any(race_points.get(row["release_id"]) for row in rows):
        return None
    traces = []
    for row in rows:
        points = [(0, 0)] + race_points.get(row["release_id"], [])
        traces.append(go.Scatter(x=[day for day, _ in points], y=[total for _, total in points],
                                 name=row["title"], mode="lines+markers", line_shape="hv"))
    figure = go.Figure(traces)
    return _json(figure, xaxis=dict(title="Days since the pre-save opened"),
                 yaxis=_counts("Pre-saves so far", [total for t in traces for total in t.y]))


def roster(rows):
    if not any(row["presaves"] for row in rows):
        return None
    names = [row["name"] for row in rows]
    figure = go.Figure(go.Bar(x=names, y=[row["presaves"] for row in rows],
                              marker_color=ACCENT, name="Pre-saves"))
    return _json(figure, yaxis=_counts("Pre-saves", [row["presaves"] for row in rows]),
                 height=280)


def sparkline(points):
    figure = go.Figure(go.Scatter(
        x=[p["day"] for p in points], y=[p["presaves"] for p in points], mode="lines",
        fill="tozeroy", line=dict(color=ACCENT, width=1.5), hoverinfo="x+y"))
    return _json(figure, height=48, width=180, margin=dict(l=0, r=0, t=2, b=2),
                 xaxis=dict(visible=False), yaxis=dict(visible=False, rangemode="tozero"),
                 showlegend=False)


VARIANT_COLORS = {"A": MUTED, "B": ACCENT, "C": SECOND, "D": THIRD}


def ab_conversion(days, names):
    """Each variant's conversion so far, day by day (pre-savers / visitors), one line each;
    ``days``: app.analytics.ab_report.daily, ``names``: {variant: its name}."""
    if not any(days.values()):
        return None
    figure = go.Figure([
        go.Scatter(x=[day for day, _, _ in points],
                   y=[presavers / visitors if visitors else None
                      for _, visitors, presavers in points],
                   customdata=[[visitors, presavers] for _, visitors, presavers in points],
                   hovertemplate="%{y:.1%} (%{customdata[1]:,} of %{customdata[0]:,} "
                                 "visitors)<extra></extra>",
                   name=f"{key}: {names.get(key, key)}", mode="lines+markers",
                   line=dict(color=VARIANT_COLORS.get(key, MUTED), width=3 if key != "A" else 2,
                             dash="dot" if key == "A" else "solid"))
        for key, points in sorted(days.items())])
    axis = dict(title="Day (UTC)", type="date", tickformat="%-d %b", hoverformat="%-d %b %Y")
    first = min(points[0][0] for points in days.values() if points)
    last = max(points[-1][0] for points in days.values() if points)
    if (last - first).days < 14:  # few days: one tick each, never hours between them
        axis.update(dtick=DAY_MS, tick0=first)
    return _json(figure, xaxis=axis,
                 yaxis=dict(title="Conversion so far (pre-savers / visitors)",
                            tickformat=".0%", rangemode="tozero"))
