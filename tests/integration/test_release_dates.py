"""Changing dates, zone or mode moves the lifecycle job in RQ and the pending pre-saves.

The clock is frozen (app.localtime.frozen) at T0; the jobs and pre-saves are real rows
and real RQ jobs in the test Redis.
"""
from datetime import datetime, timedelta

from sqlalchemy import select

from app.releases import rules as release_rules
from app.extensions import db, queue
from app.jobs import schedule
from app.jobs.lifecycle import LIFECYCLE_QUEUE, reconcile
from app.localtime import frozen
from app.models import Artist, PreSave, Release
from app.tenants.context import Scope
from tests.fan_journey import page
from tests.lifecycle import (T0, UTC, announced, in_scope, pending_instants, presave_from,
                             scheduled, work)

BERLIN_MARCH_10 = datetime(2027, 3, 9, 23, 0, tzinfo=UTC)  # 2027-03-10 00:00 CET


def _in_studio(app, studio):
    return in_scope(app, Scope.label(studio[0], actor="test"))


def test_a_date_change_after_presaves_were_collected_runs_them_at_the_new_instant(app, studio):
    new = datetime(2027, 3, 19, 23, 0, tzinfo=UTC)
    with frozen(T0), in_scope(app):
        release = announced(studio, "2027-03-01T00:00", "2027-03-10")
        presave_from(release, "Asia/Kolkata"), presave_from(release, None)
        db.session.commit()
        assert release.status == "presave_active"
        assert scheduled(release.id) == {schedule.advance_id(release.id, BERLIN_MARCH_10): BERLIN_MARCH_10}
        release_rules.change_dates(release, "2027-03-01T00:00", "2027-03-20", "Europe/Berlin",
                                   "staff")
        db.session.commit()
        assert release.release_at == new
        assert pending_instants(release.id) == {"Asia/Kolkata": new, None: new}
        assert scheduled(release.id) == {schedule.advance_id(release.id, new): new}
    for at, status in ((BERLIN_MARCH_10, "presave_active"), (new, "released")):
        with frozen(at + timedelta(minutes=1)), in_scope(app):
            queue(LIFECYCLE_QUEUE).enqueue(reconcile, studio[0])
            work()
            assert db.session.get(Release, release.id).status == status


def test_moving_the_opening_into_the_future_is_coming_soon_again_with_presaves_kept(
        app, client, studio):
    opens = datetime(2027, 3, 5, 9, 0, tzinfo=UTC)  # 10:00 CET
    with frozen(T0):
        with in_scope(app):
            release = announced(studio, "2027-03-01T00:00", "2027-03-10")
            kept = {presave_from(release, zone).id for zone in ("Europe/Paris", "Asia/Tokyo")}
            db.session.commit()
            release_rules.change_dates(release, "2027-03-05T10:00", "2027-03-10", "Europe/Berlin",
                                       "staff")
            db.session.commit()
            assert release.status == "announced"
            assert [(c.to_status, c.actor) for c in release.history][-1] == ("announced", "staff")
            assert set(db.session.scalars(select(PreSave.id).where(
                PreSave.release_id == release.id, PreSave.state == "pending"))) == kept
            assert scheduled(release.id) == {schedule.advance_id(release.id, opens): opens}
            address = page(release.slug, db.session.get(Artist, studio[1]).slug)
        assert "Coming Soon" in client.get(address).get_data(as_text=True)


def test_a_new_time_zone_moves_the_instant_the_presaves_and_the_job(app, studio):
    new_york = datetime(2027, 3, 10, 5, 0, tzinfo=UTC)  # 2027-03-10 00:00 EST
    with frozen(T0), in_scope(app):
        release = announced(studio, "2027-03-01T00:00", "2027-03-10")
        presave_from(release, "Europe/Berlin")
        db.session.commit()
        release_rules.change_dates(release, "2027-03-01T00:00", "2027-03-10", "America/New_York",
                                   "staff")
        db.session.commit()
        assert pending_instants(release.id) == {"Europe/Berlin": new_york}
        assert scheduled(release.id) == {schedule.advance_id(release.id, new_york): new_york}


def test_local_mode_runs_each_presave_at_midnight_in_the_fans_zone(app, studio):
    with frozen(T0), _in_studio(app, studio):
        release = announced(studio, "2027-03-01T00:00", "2027-03-10", mode="local")
        for zone in ("Asia/Kolkata", "Australia/Lord_Howe", "America/Los_Angeles", "Asia/Kathmandu",
                     None, "Mars/Olympus_Mons"):
            presave_from(release, zone)
        db.session.commit()
        assert pending_instants(release.id) == {
            "Asia/Kolkata": datetime(2027, 3, 9, 18, 30, tzinfo=UTC),
            "Australia/Lord_Howe": datetime(2027, 3, 9, 13, 0, tzinfo=UTC),  # +11:00 summer
            "America/Los_Angeles": datetime(2027, 3, 10, 8, 0, tzinfo=UTC),
            "Asia/Kathmandu": datetime(2027, 3, 9, 18, 15, tzinfo=UTC),
            None: BERLIN_MARCH_10,  # unknown zones fall back to the release's
            "Mars/Olympus_Mons": BERLIN_MARCH_10,
        }
        # The release itself (status, page countdown) still follows its own zone.
        assert scheduled(release.id) == {schedule.advance_id(release.id, BERLIN_MARCH_10): BERLIN_MARCH_10}


def test_new_dates_and_mode_recompute_each_fans_midnight_dst_gaps_included(app, studio):
    with frozen(T0), _in_studio(app, studio):
        release = announced(studio, "2027-03-01T00:00", "2027-03-10", mode="local")
        for zone in ("America/Santiago", "Asia/Kolkata", "Atlantic/Azores"):
            presave_from(release, zone)
        db.session.commit()
        # The Azores skip midnight that Sunday: the day starts at 01:00 there.
        release_rules.change_dates(release, "2027-03-01T00:00", "2027-03-28", "Europe/Berlin",
                                   "staff")
        assert pending_instants(release.id) == {
            "America/Santiago": datetime(2027, 3, 28, 3, 0, tzinfo=UTC),
            "Asia/Kolkata": datetime(2027, 3, 27, 18, 30, tzinfo=UTC),
            "Atlantic/Azores": datetime(2027, 3, 28, 1, 0, tzinfo=UTC),
        }
        release_rules.change_dates(release, "2027-03-01T00:00", "2027-09-05", "Europe/Berlin",
                                   "staff")
        assert pending_instants(release.id)["America/Santiago"] == datetime(
            2027, 9, 5, 4, 0, tzinfo=UTC)  # 00:00 never happens there that day
        release_rules.change_dates(release, "2027-03-01T00:00", "2027-09-05", "Europe/Berlin",
                                   "staff", release_mode="global")
        db.session.commit()
        everyone = datetime(2027, 9, 4, 22, 0, tzinfo=UTC)  # 2027-09-05 00:00 CEST
        assert set(pending_instants(release.id).values()) == {everyone}
        assert scheduled(release.id) == {schedule.advance_id(release.id, everyone): everyone}


def test_a_fans_zone_comes_from_geoip_when_they_presave(app, client, unique):
    """A reminder sign-up from a Mumbai address on a local-mode release runs at Mumbai's midnight."""
    headers = {"User-Agent": "Mozilla/5.0 (iPhone) Mobile/15E148 Instagram 300.0.0.0.0"}
    with frozen(T0):
        with in_scope(app):
            artist = db.session.scalars(select(Artist).where(Artist.slug == "aurora-vale")).one()
            release = announced((artist.label_id, artist.id), "2027-03-01T00:00", "2027-03-10",
                                tz_name="America/New_York", mode="local")
            slug = release.slug
        email = f"{unique('mumbai')}@example.com"
        done = client.post(page(slug) + "/presave", data={"platform": "spotify", "email": email},
                           headers=headers, environ_base={"REMOTE_ADDR": "49.36.0.1"})
        assert done.status_code == 302
        with in_scope(app):
            row = db.session.scalars(select(PreSave).join(Release).where(Release.slug == slug)).one()
            assert (row.fan.timezone, row.action) == ("Asia/Kolkata", "remind")
            assert row.next_attempt_at == datetime(2027, 3, 9, 18, 30, tzinfo=UTC)
