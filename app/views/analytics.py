"""Analytics dashboards: a release, an artist's releases, a label's roster; CSV exports.

Every page reads through the tenant scope, so a release or artist outside the
caller's scope is a 404. Artist users land on their artist's page and never see
the roster overview or fans. Days are UTC dates throughout.
"""
from flask import abort, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name

from app.models.release import RELEASED
from app.releases import ledger
from app.releases.state import state_for
from app.analytics import ab_report, exports, figures, queries
from app.tenants.context import current_scope
from app.views import assets
from app.views.base import exported_csv, filters_of

GRAINS = {"day": "Daily", "week": "Weekly"}


class AnalyticsView(BaseView):
    route_base = "/analytics"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        """Artist users see their artist's releases; staff see the roster."""
        scope = current_scope()
        if scope is not None and scope.artist_id is not None:
            return redirect(url_for("AnalyticsView.artist", pk=scope.artist_id))
        return redirect(url_for("AnalyticsView.label"))

    @expose("/release/<int:pk>")
    @has_access
    def release(self, pk):
        release = self._found(queries.visible_release(pk))
        grain = request.args.get("grain", "day")
        try:
            if grain not in GRAINS:
                raise ValueError("'grain' is day or week")
            period = queries.Period.from_args(request.args)
        except ValueError as exc:
            return self._bad_request("analytics/release.html", exc, release=release)
        report = queries.release_report(release, period)
        series = report["daily"] if grain == "day" else queries.weekly(report["daily"])
        charts = {"funnel": figures.funnel(report["funnel"]),
                  "platforms": figures.platforms(report["platforms"]),
                  "map": figures.city_map(report["cities"]),
                  "trend": figures.trend(series, grain),
                  "referrers": figures.sources(report["referrers"]),
                  "short_links": figures.short_links(report["short_links"])}
        ab = report["ab_test"]
        if ab is not None:
            charts["ab_test"] = figures.ab_conversion(
                ab["days"], {v["key"]: v["name"] for v in ab["variants"]})
        released = state_for(release).clock == RELEASED
        return self._page("analytics/release.html", release=release, report=report,
                          kpis=queries.kpis(report["totals"], released), released=released,
                          charts=charts, period=period, grain=grain, grains=GRAINS,
                          top_cities=report["cities"][:queries.TOP_CITIES],
                          sees_fans=ledger.sees_fans(), error=None,
                          in_words=ab_report.in_words)

    @expose("/release/<int:pk>/daily.csv")
    @has_access
    @permission_name("release")
    def release_csv(self, pk):
        release = self._found(queries.visible_release(pk))
        try:
            period = queries.Period.from_args(request.args)
        except ValueError as exc:
            abort(400, str(exc))
        days = queries.series(queries.daily_counts(release.id, period), period,
                              kinds=exports.DAILY_KINDS)
        return exported_csv(exports.daily_lines(days), f"funnel-release-{release.id}-daily.csv",
                            "export.funnel", release, detail=filters_of(request.args))

    @expose("/artist/<int:pk>")
    @has_access
    def artist(self, pk):
        artist = self._found(queries.visible_artist(pk))
        report = queries.artist_report(artist)
        charts = {"releases": figures.releases_side_by_side(report["releases"]),
                  "race": figures.race(report["releases"], report["race"])}
        return self._page("analytics/artist.html", artist=artist, report=report,
                          charts=charts, staff=current_scope().artist_id is None)

    @expose("/label")
    @has_access
    def label(self):
        report = queries.roster_report()
        charts = {"roster": figures.roster(report["artists"]),
                  "spark": {row["artist_id"]: figures.sparkline(row["spark"])
                            for row in report["artists"]}}
        return self._page("analytics/label.html", report=report, charts=charts,
                          everything=current_scope().everything)

    @expose("/fans.csv")
    @has_access
    def fans_csv(self):
        """Fans with their consents and first-touch source: label staff only."""
        if not ledger.sees_fans():
            abort(403)
        try:
            filters = exports.FanFilter.from_args(request.args)
        except ValueError as exc:
            abort(400, str(exc))
        return exported_csv(exports.fan_lines(filters), "fans.csv", "export.fans",
                            label_id=current_scope().label_id,
                            detail=filters_of(request.args))

    @expose("/plotly.min.js")
    @expose("/plotly.<digest>.min.js")
    def plotly_js(self, digest=None):
        """plotly.js as the installed plotly package ships it (never a CDN)."""
        return assets.send(assets.PLOTLY_JS, digest)

    def _page(self, template, **context):
        return self.render_template(template, **context)

    def _found(self, row):
        if row is None:
            abort(404)
        return row

    def _bad_request(self, template, exc, **context):
        return self._page(template, error=str(exc), report=None, charts=None,
                          period=queries.Period(), grain="day", grains=GRAINS, **context), 400
