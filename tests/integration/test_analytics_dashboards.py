"""Analytics through the public surface: the release, artist and roster dashboards, the API
and the CSV exports give exactly the scripted numbers, to exactly the users who may see them."""
import csv
import html
import io
import json
import re
from datetime import datetime, timezone

import pytest

from app.extensions import db
from app.localtime import frozen
from app.tenants.context import Scope, scoped
from tests.analytics_data import PASSWORD, new_release, world

ADMIN = "admin@presave.test"


@pytest.fixture(scope="module")
def ids_users(app):
    with app.app_context(), scoped(Scope.platform("test")):
        ids, users = world()
        db.session.remove()
    return ids, users


@pytest.fixture(scope="module")
def ids(ids_users):
    return ids_users[0]


OPENED = datetime(2026, 5, 1, 12, tzinfo=timezone.utc)  # "Moss Two": out on 15 May, no events


@pytest.fixture(scope="module")
def fresh(app, ids):
    """A second release of Moss Harbour whose pre-save opened at OPENED; nobody came yet."""
    from app.models import Artist

    with app.app_context(), scoped(Scope.platform("test")):
        other = db.session.get(Artist, ids["other"])
        release = new_release(other, "Moss Two", OPENED.replace(tzinfo=None),
                              datetime(2026, 5, 15))
        db.session.commit()
        release_id = release.id
        db.session.remove()
    return release_id


def kpis(text):
    return re.findall(r'<div class="kpi" data-kind="([a-z_]+)"><div class="value">([^<]*)</div>',
                      text)


@pytest.fixture
def as_user(login, ids_users):
    return lambda key: login(ids_users[1][key], PASSWORD)


@pytest.fixture
def api_as(api, ids_users):
    return lambda key: api(ids_users[1][key], PASSWORD)


def figures(page):
    """The Plotly figures a page carries, as dicts."""
    return [json.loads(html.unescape(raw)) for raw in re.findall(r'data-figure="([^"]*)"', page)]


def table_rows(page, table_id):
    body = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                          row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


# -- the API gives the scripted numbers --------------------------------------------------------

def test_api_gives_the_funnel_platforms_cities_sources_and_daily_series(api_as, ids):
    client, headers = api_as("staff_a")
    body = client.get(f"/api/v1/releases/{ids['tide']}/analytics", headers=headers).get_json()
    steps = [(s["kind"], s["count"], s["step_rate"], s["overall_rate"])
             for s in body["funnel"]["steps"]]
    assert steps == [("page_view", 6, None, 1.0), ("platform_click", 5, 0.8333, 0.8333),
                     ("authorization_started", 3, 0.6, 0.5),
                     ("presave_completed", 3, 1.0, 0.5), ("delivered", 2, 0.6667, 0.3333)]
    assert body["funnel"]["overall_rate"] == 0.3333
    assert [(p["platform"], p["presaves"], p["share"]) for p in body["platforms"]] == [
        ("spotify", 2, 0.6667), ("deezer", 1, 0.3333)]
    assert [(c["city"], c["country"], c["views"], c["presaves"], c["latitude"])
            for c in body["cities"]] == [("Berlin", "DE", 3, 2, 52.52),
                                         ("Lisbon", "PT", 3, 1, 38.72)]
    assert [(r["referrer"], r["views"], r["presaves"]) for r in body["referrers"]] == [
        ("direct", 3, 2), ("instagram.com", 3, 1)]
    assert [(c["utm_source"], c["utm_medium"], c["utm_campaign"], c["views"], c["presaves"])
            for c in body["campaigns"]] == [("newsletter", "email", "launch", 2, 1)]
    assert body["daily"] == [
        {"day": "2026-03-01", "page_view": 4, "presave_completed": 2, "reminder_signup": 0,
         "delivered": 0},
        {"day": "2026-03-02", "page_view": 2, "presave_completed": 1, "reminder_signup": 0,
         "delivered": 2}]
    assert (body["from"], body["to"]) == (None, None)


def test_api_period_counts_only_its_days(api_as, ids):
    client, headers = api_as("artist_a")
    body = client.get(f"/api/v1/releases/{ids['tide']}/analytics?from=2026-03-02&to=2026-03-02",
                      headers=headers).get_json()
    assert [s["count"] for s in body["funnel"]["steps"]] == [2, 1, 0, 1, 2]
    assert [d["day"] for d in body["daily"]] == ["2026-03-02"]
    assert [(c["city"], c["views"]) for c in body["cities"]] == [("Berlin", 2)]
    assert (body["from"], body["to"]) == ("2026-03-02", "2026-03-02")


def test_a_period_over_every_day_gives_the_all_time_breakdowns(api_as, ids):
    """All time reads the total tables, a period the daily ones: they agree."""
    client, headers = api_as("staff_a")
    url = f"/api/v1/releases/{ids['tide']}/analytics"
    every_day = client.get(url + "?from=2026-01-01&to=2026-12-31", headers=headers).get_json()
    all_time = client.get(url, headers=headers).get_json()
    for part in ("funnel", "platforms", "cities", "referrers", "campaigns"):
        assert every_day[part] == all_time[part]


def test_a_period_without_events_is_empty_days_not_an_error(api_as, ids):
    client, headers = api_as("staff_a")
    body = client.get(f"/api/v1/releases/{ids['tide']}/analytics?from=2026-05-01&to=2026-05-03",
                      headers=headers).get_json()
    assert [d["page_view"] for d in body["daily"]] == [0, 0, 0]
    assert body["funnel"]["overall_rate"] is None and body["platforms"] == []


@pytest.mark.parametrize("query, words", [
    ("from=2026-13-01", "'from' must be a date written YYYY-MM-DD"),
    ("to=yesterday", "'to' must be a date written YYYY-MM-DD, not 'yesterday'"),
    ("from=2026-03-05&to=2026-03-01", "'from' (2026-03-05) is after 'to' (2026-03-01)"),
    ("from=0001-01-01&to=9999-12-31", "Choose at most 3660 days")])
def test_bad_dates_are_a_400_with_the_reason(api_as, as_user, ids, query, words):
    client, headers = api_as("staff_a")
    answer = client.get(f"/api/v1/releases/{ids['tide']}/analytics?{query}", headers=headers)
    assert answer.status_code == 400 and words in answer.get_json()["message"]
    browser = as_user("staff_a")
    page = browser.get(f"/analytics/release/{ids['tide']}?{query}")
    assert page.status_code == 400 and words in html.unescape(page.get_data(as_text=True))
    assert browser.get(f"/analytics/release/{ids['tide']}/daily.csv?{query}").status_code == 400


def test_unknown_grain_is_a_400(as_user, ids):
    page = as_user("staff_a").get(f"/analytics/release/{ids['tide']}?grain=month")
    assert page.status_code == 400 and "day or week" in page.get_data(as_text=True)


# -- the dashboards show the same numbers -------------------------------------------------------

def test_release_dashboard_shows_the_funnel_platforms_cities_and_trend(as_user, ids):
    page = as_user("staff_a").get(f"/analytics/release/{ids['tide']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert table_rows(text, "funnel-table") == [
        ["Page views", "6", "—", "100.0%"], ["Platform clicks", "5", "83.3%", "83.3%"],
        ["Sign-ins started", "3", "60.0%", "50.0%"], ["Pre-saves", "3", "100.0%", "50.0%"],
        ["Delivered", "2", "66.7%", "33.3%"]]
    assert table_rows(text, "platform-table") == [["Spotify", "2", "66.7%"],
                                                  ["Deezer", "1", "33.3%"]]
    assert table_rows(text, "city-table") == [["Berlin", "DE", "3", "2", "66.7%"],
                                              ["Lisbon", "PT", "3", "1", "33.3%"]]
    assert table_rows(text, "campaign-table") == [["newsletter", "email", "launch", "2", "1"]]
    funnel, pie, trend, geo, sources = figures(text)
    assert funnel["data"][0]["x"] == [6, 5, 3, 3, 2]
    assert pie["data"][0]["values"] == [2, 1]
    assert geo["data"][0]["type"] == "scattergeo" and geo["data"][0]["lat"] == [52.52, 38.72]
    bars = {trace["name"]: trace["y"] for trace in trend["data"]}
    assert trend["data"][0]["x"] == ["2026-03-01", "2026-03-02"]
    assert bars["Pre-saves"] == [2, 1] and bars["Delivered"] == [0, 2]
    assert bars["Page views"] == [4, 2]
    assert "UTC" in text
    assert re.search(r'<script defer src="/analytics/plotly\.[0-9a-f]{16}\.min\.js">', text)


def test_a_live_pre_save_leads_with_views_pre_saves_and_conversion(as_user, ids, fresh):
    minutes_later = OPENED.replace(minute=10)
    with frozen(minutes_later):
        text = as_user("staff_a").get(f"/analytics/release/{fresh}").get_data(as_text=True)
    assert kpis(text) == [("page_view", "0"), ("presave_completed", "0"), ("conversion", "—"),
                          ("reminder_signup", "0")]


def test_after_release_the_strip_leads_with_delivered_and_stream_clicks(as_user, ids):
    text = as_user("staff_a").get(f"/analytics/release/{ids['tide']}").get_data(as_text=True)
    assert kpis(text) == [("delivered", "2"), ("delivery_rate", "66.7%"),
                          ("stream_click", "0"), ("presave_completed", "3")]


def test_charts_without_data_say_so_in_words(as_user, ids, fresh):
    with frozen(OPENED.replace(minute=10)):
        text = as_user("staff_a").get(f"/analytics/release/{fresh}").get_data(as_text=True)
    assert figures(text) == []
    for words in ("No page views yet: the funnel starts with the first visit to the fan page.",
                  "No pre-saves yet.", "Nothing to chart yet: no page views, pre-saves",
                  "No visits from a known place yet."):
        assert words in text
    quiet = as_user("staff_a").get(f"/analytics/release/{ids['tide']}?from=2026-05-01"
                                   "&to=2026-05-03").get_data(as_text=True)
    assert "Nothing to chart in this period" in quiet and "No pre-saves in this period." in quiet


def test_growth_waits_until_the_release_has_been_open_as_long_as_the_one_before(
        as_user, ids, fresh):
    """Moss was open 59 days; Moss Two, out after 14, compares once it is out (15 May)."""
    def moss_two_row(at):
        with frozen(at):
            text = as_user("staff_a").get(f"/analytics/artist/{ids['other']}").get_data(
                as_text=True)
        return table_rows(text, "release-table")[-1]

    assert moss_two_row(OPENED.replace(minute=10))[-1] == "from 15 May"
    assert moss_two_row(datetime(2026, 5, 15, tzinfo=timezone.utc))[-1] == "-100.0%"


def test_weekly_trend_sums_iso_weeks(as_user, ids):
    page = as_user("staff_a").get(f"/analytics/release/{ids['tide']}?grain=week")
    trend = figures(page.get_data(as_text=True))[2]
    # 1 March 2026 is a Sunday: its week starts on 23 February; 2 March starts the next.
    assert trend["data"][0]["x"] == ["2026-02-23", "2026-03-02"]
    assert {t["name"]: t["y"] for t in trend["data"]}["Page views"] == [4, 2]


def test_artist_dashboard_compares_releases_with_growth(as_user, ids):
    text = as_user("artist_a").get(f"/analytics/artist/{ids['quay']}").get_data(as_text=True)
    assert table_rows(text, "release-table") == [
        ["Low Tide", "2025-02-01", "4", "2", "50.0%", "0", "—"],
        ["Tidewater", "2026-04-01", "6", "3", "50.0%", "2", "+50.0%"]]
    side_by_side, race = figures(text)
    assert side_by_side["data"][0]["y"] == [2, 3]
    assert [(t["name"], t["x"], t["y"]) for t in race["data"]] == [
        ("Low Tide", [0, 24], [0, 2]), ("Tidewater", [0, 28, 29], [0, 2, 3])]


def test_roster_overview_gives_each_artist_totals_sparkline_and_top_cities(as_user, ids):
    with frozen(datetime(2026, 3, 10, 12, tzinfo=timezone.utc)):
        text = as_user("staff_a").get("/analytics/label").get_data(as_text=True)
    assert table_rows(text, "roster-table") == [
        ["Quay Lights", "10", "5", "50.0%", "3 in 30 days", "Lisbon (PT) 3, Berlin (DE) 2"],
        ["Moss Harbour", "6", "3", "50.0%", "3 in 30 days", "Berlin (DE) 2, Lisbon (PT) 1"]]
    roster, quay_spark, _ = figures(text)
    assert roster["data"][0]["y"] == [5, 3]
    assert len(quay_spark["data"][0]["y"]) == 30 and sum(quay_spark["data"][0]["y"]) == 3
    assert "Far Shore" not in text


def test_daily_funnel_csv(as_user, ids):
    answer = as_user("artist_a").get(f"/analytics/release/{ids['tide']}/daily.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert csv_rows(answer) == [
        ["Day (UTC)", "Page views", "Platform clicks", "Sign-ins started", "Pre-saves",
         "Reminder sign-ups", "Delivered", "Pre-saves per view"],
        ["2026-03-01", "4", "4", "3", "2", "0", "0", "0.5000"],
        ["2026-03-02", "2", "1", "0", "1", "0", "2", "0.5000"]]


@pytest.mark.parametrize("who", ["staff_a", "admin_a"])
def test_fans_csv_has_consents_and_first_touch_escaped(as_user, ids, who):
    rows = csv_rows(as_user(who).get("/analytics/fans.csv"))
    header, *fans = rows
    by_id = {int(row[0]): dict(zip(header, row)) for row in fans}
    assert set(by_id) == {ids["fan"], ids["other_fan"]}
    fan = by_id[ids["fan"]]
    assert fan["Name"] == "'=HYPERLINK(1)" and fan["Artist"] == "Quay Lights"
    assert fan["Consent: Email marketing"] == "given 2026-03-01 23:30"
    assert fan["Consent: SMS marketing"] == "withdrawn 2026-03-02 00:30"
    assert fan["Consent: Release-day reminder"] == "not given"
    assert (fan["First touch: site"], fan["First touch: utm_campaign"]) == (
        "instagram.com", "launch")
    assert by_id[ids["other_fan"]]["First touch: site"] == ""


def test_fans_csv_filters_by_artist_and_refuses_bad_ids(as_user, ids):
    client = as_user("staff_a")
    rows = csv_rows(client.get(f"/analytics/fans.csv?artist={ids['other']}"))
    assert [int(row[0]) for row in rows[1:]] == [ids["other_fan"]]
    assert client.get("/analytics/fans.csv?artist=abc").status_code == 400
    assert client.get("/analytics/fans.csv?release=99999999999").status_code == 400


# -- nobody sees numbers outside their scope ---------------------------------------------------

def denied(response):
    return response.status_code in (403, 404) or (
        response.status_code == 302 and "/login" in response.headers.get("Location", ""))


def test_an_artist_user_sees_only_their_artist(as_user, api_as, ids):
    browser = as_user("artist_a")
    assert browser.get(f"/analytics/release/{ids['tide']}").status_code == 200
    landing = browser.get("/analytics/").headers["Location"]
    assert landing.endswith(f"/analytics/artist/{ids['quay']}")
    for release in ("moss", "far"):
        assert browser.get(f"/analytics/release/{ids[release]}").status_code == 404
        assert browser.get(f"/analytics/release/{ids[release]}/daily.csv").status_code == 404
    for artist in ("other", "stranger"):
        assert browser.get(f"/analytics/artist/{ids[artist]}").status_code == 404
    assert denied(browser.get("/analytics/label"))
    assert denied(browser.get("/analytics/fans.csv"))
    client, headers = api_as("artist_a")
    for release in ("moss", "far"):
        answer = client.get(f"/api/v1/releases/{ids[release]}/analytics", headers=headers)
        assert answer.status_code == 404


def test_staff_of_another_label_see_nothing_of_this_one(as_user, api_as, ids):
    browser = as_user("staff_b")
    for release in ("tide", "moss", "older"):
        assert browser.get(f"/analytics/release/{ids[release]}").status_code == 404
        assert browser.get(f"/analytics/release/{ids[release]}/daily.csv").status_code == 404
    assert browser.get(f"/analytics/artist/{ids['quay']}").status_code == 404
    roster = browser.get("/analytics/label").get_data(as_text=True)
    assert "Far Shore" in roster and "Quay Lights" not in roster and "Moss Harbour" not in roster
    fans = csv_rows(browser.get("/analytics/fans.csv"))
    assert [int(row[0]) for row in fans[1:]] == [ids["far_fan"]]
    assert len(csv_rows(browser.get(f"/analytics/fans.csv?artist={ids['quay']}"))) == 1
    client, headers = api_as("staff_b")
    answer = client.get(f"/api/v1/releases/{ids['tide']}/analytics", headers=headers)
    assert answer.status_code == 404


def test_unknown_and_huge_ids_are_404(as_user, api_as):
    browser = as_user("staff_a")
    for url in ("/analytics/release/99999999999", "/analytics/artist/0",
                "/analytics/release/2147483647/daily.csv"):
        assert browser.get(url).status_code == 404
    client, headers = api_as("staff_a")
    assert client.get("/api/v1/releases/99999999999/analytics",
                      headers=headers).status_code == 404


def test_platform_admin_sees_every_label_on_the_roster(login, ids):
    text = login(ADMIN).get("/analytics/label").get_data(as_text=True)
    assert "Quay Lights" in text and "Far Shore" in text


def test_the_api_needs_a_token(client, ids):
    assert client.get(f"/api/v1/releases/{ids['tide']}/analytics").status_code == 401


def test_plotly_js_is_served_by_the_app(client):
    answer = client.get("/analytics/plotly.min.js")
    assert answer.status_code == 200 and b"plotly.js" in answer.get_data()[:2000]
    assert client.get("/static/topojson/world_110m.json").status_code == 200


def test_release_page_and_my_releases_link_to_the_dashboards(as_user, ids):
    page = as_user("staff_a").get(f"/releases/show/{ids['tide']}").get_data(as_text=True)
    assert f'href="/analytics/release/{ids["tide"]}"' in page
    mine = as_user("artist_a").get("/my/").get_data(as_text=True)
    assert f'href="/analytics/release/{ids["tide"]}"' in mine
    assert f'href="/analytics/artist/{ids["quay"]}"' in mine


def test_openapi_describes_release_analytics(api):
    client, headers = api("staff@northwind.test")
    spec = client.get("/api/v1/_openapi", headers=headers).get_json()
    operation = spec["paths"]["/api/v1/releases/{pk}/analytics"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"pk", "from", "to"}
    properties = spec["components"]["schemas"]["ReleaseAnalyticsSchema"]["properties"]
    assert {"funnel", "platforms", "cities", "daily", "from", "to"} <= set(properties)
