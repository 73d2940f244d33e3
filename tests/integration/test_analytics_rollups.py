"""Rollups: events counted per UTC day, kind and breakdown; repeated adds accumulate;
a rebuild from the raw events gives the same rows."""
from datetime import date

import pytest
from sqlalchemy import select, update

from app.analytics import rollups
from app.extensions import db
from app.models import (EventDaily, EventDailyPlace, EventDailyPlatform, EventDailySource,
                        EventTotalPlace, EventTotalSource, Release)
from app.tenants.context import Scope, scoped
from tests.analytics_data import DAY1, event, new_artist, new_label, new_release, scripted

D1, D2 = date(2026, 3, 1), date(2026, 3, 2)


@pytest.fixture
def release_id(app):
    with app.app_context(), scoped(Scope.platform("test")):
        release = new_release(new_artist(new_label().id))
        events = scripted(release)
        db.session.add_all(events)
        db.session.flush()
        rollups.add(events)
        db.session.commit()
        return release.id


def rows(model, release_id, *columns):
    stmt = select(*[getattr(model, c) for c in columns], model.count).where(
        model.release_id == release_id)
    return {tuple(row[:-1]): row[-1] for row in db.session.execute(stmt)}


def test_daily_counts_by_kind_platform_place_and_source(app, release_id):
    with app.app_context(), scoped(Scope.platform("test")):
        assert rows(EventDaily, release_id, "day", "kind") == {
            (D1, "page_view"): 4, (D1, "platform_click"): 4, (D1, "authorization_started"): 3,
            (D1, "presave_completed"): 2, (D2, "page_view"): 2, (D2, "platform_click"): 1,
            (D2, "presave_completed"): 1, (D2, "delivered"): 2}
        platforms = rows(EventDailyPlatform, release_id, "day", "kind", "platform")
        assert platforms[(D1, "platform_click", "spotify")] == 3
        assert platforms[(D1, "page_view", "")] == 4
        assert platforms[(D2, "delivered", "deezer")] == 1
        places = rows(EventDailyPlace, release_id, "day", "kind", "city")
        assert places[(D1, "page_view", "Lisbon")] == 3
        assert places[(D2, "page_view", "Berlin")] == 2
        sources = rows(EventDailySource, release_id, "day", "kind", "referrer", "utm_campaign")
        assert sources[(D1, "page_view", "instagram.com", "")] == 3
        assert sources[(D2, "presave_completed", "", "launch")] == 1
        totals = rows(EventTotalPlace, release_id, "kind", "city")
        assert (totals[("page_view", "Lisbon")], totals[("page_view", "Berlin")]) == (3, 3)
        assert rows(EventTotalSource, release_id, "kind", "utm_campaign")[
            ("page_view", "launch")] == 2


def test_more_events_add_to_the_same_rows_and_keep_the_first_coordinates(app, release_id):
    with app.app_context(), scoped(Scope.platform("test")):
        label_id = db.session.get(Release, release_id).label_id
    with app.app_context(), scoped(Scope.label(label_id, "test")):  # as a label's job would
        release = db.session.get(Release, release_id)
        more = [event(release, "page_view", DAY1, country="pt", region="Lisbon", city="Lisbon",
                      latitude=1.0, longitude=2.0) for _ in range(5)]
        db.session.add_all(more)
        db.session.flush()
        rollups.add(more)
        db.session.commit()
        assert rows(EventDaily, release_id, "day", "kind")[(D1, "page_view")] == 9
        lisbon = db.session.scalars(select(EventDailyPlace).where(
            EventDailyPlace.release_id == release_id, EventDailyPlace.city == "Lisbon",
            EventDailyPlace.kind == "page_view", EventDailyPlace.day == D1)).one()
        assert (lisbon.count, lisbon.country, lisbon.latitude) == (8, "PT", 38.72)


def test_rebuild_recounts_the_same_rows(app, release_id):
    with app.app_context(), scoped(Scope.platform("test")):
        before = {m: rows(m, release_id, *m.KEY[1:]) for m in rollups.ROLLUPS}
        db.session.execute(update(EventDaily).where(EventDaily.release_id == release_id)
                           .values(count=0))  # counts gone wrong, say
        db.session.commit()
    result = app.test_cli_runner().invoke(
        args=["analytics", "rebuild-rollups", "--release", str(release_id)])
    assert result.exit_code == 0 and "Rollups rebuilt from 19 events." in result.output
    with app.app_context(), scoped(Scope.platform("test")):
        assert {m: rows(m, release_id, *m.KEY[1:]) for m in rollups.ROLLUPS} == before


def test_rebuild_of_an_unknown_release_is_refused(app):
    result = app.test_cli_runner().invoke(args=["analytics", "rebuild-rollups", "--release", "0"])
    assert result.exit_code != 0 and "No release with id 0" in result.output


@pytest.mark.parametrize("value, host", [
    ("https://www.instagram.com/p/1?x=2", "instagram.com"), ("t.co/abc", "t.co"),
    ("", ""), (None, ""), ("android-app://com.google.android.gm/", "com.google.android.gm")])
def test_referrer_host(value, host):
    assert rollups.referrer_host(value) == host
