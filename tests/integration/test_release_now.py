""""Release now" on the staff release page: a surprise drop through HTTP."""
from datetime import timedelta

from rq.job import Job
from sqlalchemy import select

from app.extensions import redis_connection
from app.jobs import schedule
from app.localtime import now_utc
from app.models import Release
from tests.fan_journey import flashes
from tests.release_day_runs import ctx, rows
from tests.release_day_runs import remind_me

STAFF, ARTIST_USER = "staff@northwind.test", "artist@northwind.test"


def release_of(app, slug):
    with ctx(app) as session:
        release = session.scalars(select(Release).where(Release.slug == slug)).one()
        release.history  # loaded before the session closes
        session.expunge_all()
        return release


def test_staff_release_now_moves_the_instant_and_hands_over_to_release_day(
        app, login, active_release):
    slug = active_release(days=10)
    remind_me(app, slug)
    release_id = release_of(app, slug).id
    staff = login(STAFF)
    page = staff.get(f"/releases/show/{release_id}").text
    assert f'action="/releases/release_now/{release_id}"' in page and "Release now" in page
    answer = staff.post(f"/releases/release_now/{release_id}")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(
        f"/releases/show/{release_id}")
    assert "“Flow Song” is now Released" in flashes(staff)
    release = release_of(app, slug)
    assert release.status == "released"
    assert now_utc() - timedelta(minutes=2) < release.release_at <= now_utc()
    assert release.release_local == release.release_at.replace(tzinfo=None)  # a UTC release
    assert release.presave_opens_at < release.release_at
    assert (release.history[-1].to_status, release.history[-1].actor) == ("released", STAFF)
    assert [row.next_attempt_at for row in rows(app, release_id)] == [release.release_at]
    with app.app_context():
        job = Job.fetch(schedule.release_day_id(release_id), connection=redis_connection())
        assert job.func_name == "app.jobs.release_day.start_release_day"
        assert job.args == (release.label_id, release_id) and job.get_status() == "queued"
        job.delete()
    assert f'action="/releases/release_now/{release_id}"' not in staff.get(
        f"/releases/show/{release_id}").text  # out already: no button


def test_release_now_is_refused_for_drafts_and_archived_releases(app, login, active_release):
    staff = login(STAFF)
    for status, message in (("draft", "A draft cannot be released: announce it first"),
                            ("archived", "An archived release cannot be released again")):
        slug = active_release()
        with ctx(app) as session:
            release = session.scalars(select(Release).where(Release.slug == slug)).one()
            release.status, release_id, before = status, release.id, release.release_at
            session.commit()
        answer = staff.post(f"/releases/release_now/{release_id}")
        assert answer.status_code == 302 and message in flashes(staff)
        after = release_of(app, slug)
        assert (after.status, after.release_at) == (status, before)


def test_an_artist_user_cannot_release_now(app, login, active_release):
    slug = active_release()
    release = release_of(app, slug)
    artist = login(ARTIST_USER)
    assert "/releases/release_now/" not in artist.get(f"/releases/show/{release.id}").text
    assert artist.post(f"/releases/release_now/{release.id}").status_code == 403
    after = release_of(app, slug)
    assert (after.status, after.release_at) == ("presave_active", release.release_at)
