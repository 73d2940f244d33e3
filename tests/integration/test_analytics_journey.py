"""From fan pages to dashboards: real visits are captured, drained by the ingest job on RQ,
and come out of the API, the release dashboard and the fan export exactly."""
import csv
import io

from sqlalchemy import select

from app.extensions import db
from app.localtime import now_utc
from app.models import Release
from app.tenants.context import Scope, scoped
from tests.event_stream import AMSTERDAM, DESKTOP, IPHONE, MINNEAPOLIS, drain, visitor
from tests.fan_journey import page, sandbox_decision

STAFF, OTHER_LABEL = "staff@northwind.test", "staff@harbor.test"


def release_id(app, slug):
    with app.app_context(), scoped(Scope.platform("test")):
        return db.session.scalar(select(Release.id).where(Release.slug == slug))


def test_visits_become_the_dashboards_numbers(app, active_release, api, login, unique):
    slug = active_release("juniper-kites")
    email = f"{unique('ams')}@example.com"
    fan = visitor(app, AMSTERDAM, IPHONE)
    assert fan.get(page(slug, "juniper-kites") + "?utm_source=ig&utm_medium=social"
                   "&utm_campaign=drop", headers={"Referer": "https://www.instagram.com/p/1/"}
                   ).status_code == 200
    going = fan.post(page(slug, "juniper-kites") + "/presave",
                     data={"platform": "spotify", "email": email})
    assert fan.get(sandbox_decision(fan, going.headers["Location"])).status_code == 302
    typed = visitor(app, MINNEAPOLIS, DESKTOP)
    for _ in range(2):
        assert typed.get(page(slug, "juniper-kites")).status_code == 200
    drain(app)

    pk = release_id(app, slug)
    client, headers = api(STAFF)
    body = client.get(f"/api/v1/releases/{pk}/analytics", headers=headers).get_json()
    assert [(s["kind"], s["count"]) for s in body["funnel"]["steps"]] == [
        ("page_view", 3), ("platform_click", 1), ("authorization_started", 1),
        ("presave_completed", 1), ("delivered", 0)]
    assert [(p["platform"], p["share"]) for p in body["platforms"]] == [("spotify", 1.0)]
    assert [(c["city"], c["views"], c["presaves"]) for c in body["cities"]] == [
        ("Amsterdam", 1, 1), ("Minneapolis", 2, 0)]
    assert [(r["referrer"], r["views"], r["presaves"]) for r in body["referrers"]] == [
        ("direct", 2, 0), ("instagram.com", 1, 1)]
    assert [(c["utm_campaign"], c["views"], c["presaves"]) for c in body["campaigns"]] == [
        ("drop", 1, 1)]
    today = now_utc().date().isoformat()
    assert [(d["day"], d["page_view"], d["presave_completed"]) for d in body["daily"]] == [
        (today, 3, 1)]

    text = login(STAFF).get(f"/analytics/release/{pk}").get_data(as_text=True)
    assert "Amsterdam" in text and "Minneapolis" in text and "instagram.com" in text
    assert login(OTHER_LABEL).get(f"/analytics/release/{pk}").status_code == 404

    export = login(STAFF).get(f"/analytics/fans.csv?release={pk}").get_data(as_text=True)
    header, *rows = csv.reader(io.StringIO(export.lstrip("\ufeff")))
    fans = [dict(zip(header, row)) for row in rows]
    assert [(f["Email"], f["City"], f["First touch: site"], f["First touch: utm_source"],
             f["First touch: utm_campaign"]) for f in fans] == [
        (email, "Amsterdam", "instagram.com", "ig", "drop")]
