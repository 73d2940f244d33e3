"""Release day on the real database, Redis, RQ (SimpleWorker, burst) and the sandbox over HTTP.

Fans pre-save through the fan pages with real sandbox grants; then the release
instant is moved into the past and the release-day jobs run. The batches use
aiohttp, so the sandbox is served by the session app on a local port.
"""
import math
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from rq import SimpleWorker
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select, update

from app.crypto import keyring
from app.extensions import queue, redis_connection
from app.jobs import leases, throttle
from app.jobs.release_day import DELIVERY_QUEUE, deliver_batch, start_release_day
from app.localtime import frozen, now_utc
from app.models import Authorization, PreSave, Release, StreamingLink
from app.platforms.registry import platform_for
from app.sandbox import state as sandbox
from tests.release_day_runs import (age_retries, ctx, grant_of, manual_link, new_isrc, on_platform,
                                    presave, reconcile_once, release_now, rows, run_release_day,
                                    sandbox_user, saves_of, work)


def test_release_day_saves_each_presave_once_and_marks_the_release_released(
        app, over_http, active_release):
    slug = active_release()
    for _ in range(4):
        presave(app, slug)
    isrc, item_id = on_platform()
    label_id, release_id = release_now(app, slug, isrc)
    run_release_day(app, label_id, release_id)
    done = rows(app, release_id)
    assert [(p.state, p.attempts, p.last_error) for p in done] == [("delivered", 1, None)] * 4
    assert all(p.delivered_at and p.leased_until is None for p in done)
    users = sorted(sandbox_user(app, p) for p in done)
    assert sorted(s["user"] for s in saves_of(app, "spotify", item_id)) == users
    with ctx(app) as session:
        assert session.get(Release, release_id).status == "released"
        link = session.scalars(select(StreamingLink).where(
            StreamingLink.release_id == release_id, StreamingLink.platform == "spotify")).one()
        assert (link.item_id, link.source) == (item_id, "isrc")
    run_release_day(app, label_id, release_id)  # idempotent: nothing is saved again
    reconcile_once(app)
    assert len(saves_of(app, "spotify", item_id)) == 4


def test_one_batch_job_leases_chunk_after_chunk_while_rows_are_due(app, over_http,
                                                                   active_release):
    slug = active_release()
    for _ in range(5):
        presave(app, slug)
    isrc, item_id = on_platform()
    label_id, release_id = release_now(app, slug, isrc)
    with app.app_context():
        start_release_day(label_id, release_id)  # the link; its batch jobs are dropped
        queue(DELIVERY_QUEUE).empty()
        done = deliver_batch(label_id, release_id, "spotify", batch_size=2)
        assert done == {"leased": 5, "delivered": 5}
        assert deliver_batch(label_id, release_id, "spotify", batch_size=2) == {"leased": 0}
    assert {(p.state, p.attempts, p.lease_token) for p in rows(app, release_id)} == {
        ("delivered", 1, None)}
    assert len(saves_of(app, "spotify", item_id)) == 5


def test_a_5xx_burst_is_retried_with_backoff_and_ends_delivered(app, over_http, active_release):
    slug = active_release()
    presave(app, slug, "tidal")
    presave(app, slug, "tidal")
    isrc, item_id = on_platform("tidal")
    label_id, release_id = release_now(app, slug, isrc)
    manual_link(app, release_id, "tidal", item_id)
    sandbox.set_faults("tidal", rate_5xx=1.0)
    run_release_day(app, label_id, release_id)
    waiting = rows(app, release_id)
    assert {(p.state, p.attempts) for p in waiting} == {("pending", 1)}
    assert all(p.next_attempt_at > now_utc() + timedelta(seconds=5) for p in waiting)
    assert all("TIDAL" in p.last_error and p.display_state == "retrying" for p in waiting)
    reconcile_once(app)  # not due yet: nothing happens
    assert {p.state for p in rows(app, release_id)} == {"pending"}
    sandbox.clear_faults("tidal")
    age_retries(app, release_id)
    reconcile_once(app)
    assert {(p.state, p.attempts) for p in rows(app, release_id)} == {("delivered", 2)}
    assert len(saves_of(app, "tidal", item_id)) == 2


def test_retries_are_bounded_and_end_in_a_plain_reason(app, over_http, active_release):
    slug = active_release()
    presave(app, slug)
    isrc, _ = on_platform()
    label_id, release_id = release_now(app, slug, isrc)
    run_release_day(app, label_id, release_id)  # stores the link
    with ctx(app) as session:
        session.execute(update(PreSave).where(PreSave.release_id == release_id)
                        .values(state="pending", attempts=throttle.MAX_ATTEMPTS - 1,
                                next_attempt_at=now_utc() - timedelta(seconds=1)))
        session.commit()
    sandbox.set_faults("spotify", rate_5xx=1.0)
    reconcile_once(app)
    (row,) = rows(app, release_id)
    assert row.state == "failed" and row.attempts == throttle.MAX_ATTEMPTS
    assert row.last_error.startswith(f"gave up after {throttle.MAX_ATTEMPTS} attempts: Spotify")


def test_429_pauses_the_whole_platform_for_every_worker(app, over_http, active_release):
    slug = active_release()
    presave(app, slug)
    presave(app, slug)
    isrc, item_id = on_platform()
    label_id, release_id = release_now(app, slug, isrc)
    manual_link(app, release_id, "spotify", item_id)
    sandbox.set_faults("spotify", rate_429=1.0, retry_after=30)
    started = time.time()
    run_release_day(app, label_id, release_id)
    with app.app_context():
        key = throttle.pause_key("spotify", platform_for(label_id, "spotify").credentials.client_id)
        resume = throttle.resume_at(key)
    assert resume is not None and started + 25 < resume < time.time() + 31
    waiting = rows(app, release_id)
    assert {(p.state, p.attempts) for p in waiting} == {("pending", 0)}
    assert all(abs(p.next_attempt_at.timestamp() - resume) < 1 for p in waiting)
    assert all(p.last_error.startswith("rate_limited") or "Retry-After" in p.last_error
               for p in waiting)
    sandbox.clear_faults("spotify")
    age_retries(app, release_id)
    reconcile_once(app)  # the platform is still paused: nobody calls it
    assert saves_of(app, "spotify", item_id) == []
    assert {p.state for p in rows(app, release_id)} == {"pending"}
    with app.app_context():
        redis_connection().delete(key)  # the pause is over
    age_retries(app, release_id)
    reconcile_once(app)
    assert {p.state for p in rows(app, release_id)} == {"delivered"}
    assert len(saves_of(app, "spotify", item_id)) == 2


def test_a_long_pause_schedules_batches_once_at_the_resume_time_and_no_lease_meanwhile(
        app, over_http, active_release):
    slug = active_release()
    for _ in range(3):
        presave(app, slug)
    isrc, item_id = on_platform()
    label_id, release_id = release_now(app, slug, isrc)
    manual_link(app, release_id, "spotify", item_id)
    sandbox.set_faults("spotify", rate_429=1.0, retry_after=30)
    run_release_day(app, label_id, release_id)  # the batch meets the 429, puts its rows back
    with app.app_context():
        key = throttle.pause_key("spotify", platform_for(label_id, "spotify").credentials.client_id)
        resume = throttle.resume_at(key)
        registry = ScheduledJobRegistry(queue=queue(DELIVERY_QUEUE))
        (job_id,) = scheduled_for(registry, release_id)
        job = queue(DELIVERY_QUEUE).fetch_job(job_id)
        assert (job.func_name, job.args) == ("app.jobs.release_day.resume_delivery",
                                             (label_id, release_id, "spotify"))
        assert registry.get_scheduled_time(job_id) == datetime.fromtimestamp(
            math.ceil(resume), timezone.utc)
        assert job_id not in registry.get_jobs_to_schedule(int(time.time()))
        refused = sandbox.injected("spotify")

    age_retries(app, release_id)  # due again while the platform is still paused
    before = {p.id: p.updated_at for p in rows(app, release_id)}
    with app.app_context():
        for n in range(3):  # queued batches, as many batches pausing at once
            queue(DELIVERY_QUEUE).enqueue(deliver_batch, label_id, release_id, "spotify",
                                          job_id=f"paused-{release_id}-{n}")
    work(app)
    with app.app_context():
        assert deliver_batch(label_id, release_id, "spotify") == {"leased": 0,
                                                                  "resume_scheduled": 0}
        assert scheduled_for(registry, release_id) == [job_id]
        assert sandbox.injected("spotify") == refused  # nobody called the platform
    assert {p.id: p.updated_at for p in rows(app, release_id)} == before  # nor leased a row

    sandbox.clear_faults("spotify")
    with app.app_context():
        redis_connection().delete(key)  # the resume time has come: the scheduler moves the job
        assert job_id in registry.get_jobs_to_schedule(math.ceil(resume))
        registry.schedule(queue(DELIVERY_QUEUE).fetch_job(job_id), now_utc())
        with frozen(datetime.fromtimestamp(math.ceil(resume), timezone.utc)):
            SimpleWorker([queue(DELIVERY_QUEUE)], connection=redis_connection()).work(
                burst=True, with_scheduler=True)
        assert scheduled_for(registry, release_id) == []
    assert {(p.state, p.attempts, p.lease_token) for p in rows(app, release_id)} == {
        ("delivered", 1, None)}
    assert len(saves_of(app, "spotify", item_id)) == 3


def test_a_throttled_item_look_up_waits_for_its_retry_after_not_a_minute(
        app, over_http, active_release):
    slug = active_release()
    presave(app, slug)
    isrc, _ = on_platform()
    label_id, release_id = release_now(app, slug, isrc)  # no link yet: the job looks it up
    sandbox.set_faults("spotify", rate_429=1.0, retry_after=20)
    with frozen(now_utc()) as at:
        run_release_day(app, label_id, release_id)
    (row,) = rows(app, release_id)
    assert (row.state, row.next_attempt_at) == ("pending", at + timedelta(seconds=20))
    assert "look-up failed" in row.last_error
    with app.app_context():
        registry = ScheduledJobRegistry(queue=queue(DELIVERY_QUEUE))
        (job_id,) = [j for j in registry.get_job_ids() if j.startswith(f"release-day-{release_id}-")]
        assert registry.get_scheduled_time(job_id) == datetime.fromtimestamp(
            math.ceil((at + timedelta(seconds=20)).timestamp()), timezone.utc)


def scheduled_for(registry, release_id):
    return [job_id for job_id in registry.get_job_ids()
            if job_id.startswith(f"resume-{release_id}-")]


def _expire_grant(app, grant_id, platform="spotify"):
    """Expired on the platform and in our row: the next save must refresh first."""
    with ctx(app) as session:
        grant = session.get(Authorization, grant_id)
        sandbox.expire_tokens(platform, user=grant.platform_user_id)
        grant.expires_at = now_utc() - timedelta(minutes=5)
        session.commit()


def test_one_refresh_for_many_concurrent_saves_of_one_expired_grant(app, over_http,
                                                                     active_release):
    fan, releases, item_ids = None, [], []
    for _ in range(8):  # one fan, eight releases out today, one grant reused
        slug = active_release()
        fan = presave(app, slug, client=fan)
        isrc, item_id = on_platform()
        releases.append(release_now(app, slug, isrc))
        item_ids.append(item_id)
    grant = grant_of(app, rows(app, releases[0][1])[0])
    _expire_grant(app, grant.id)
    with app.app_context():
        for label_id, release_id in releases:  # the links, so every batch can start at once
            start_release_day(label_id, release_id)
            queue(DELIVERY_QUEUE).empty()
        _expire_grant(app, grant.id)
        before = sandbox.token_calls("spotify")

    def worker(label_id, release_id):
        with app.app_context():
            deliver_batch(label_id, release_id, "spotify")

    threads = [threading.Thread(target=worker, args=pair) for pair in releases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with app.app_context():
        assert sandbox.token_calls("spotify") - before == 1
    assert all(rows(app, rid)[0].state == "delivered" for _, rid in releases)
    assert [len(saves_of(app, "spotify", item_id)) for item_id in item_ids] == [1] * 8
    assert grant_of(app, rows(app, releases[0][1])[0]).expires_at > now_utc()


@pytest.mark.parametrize("platform, rotates", [("spotify", True), ("tidal", False)])
def test_a_rotated_refresh_token_is_stored_at_once_and_an_unrotated_one_kept(
        app, over_http, active_release, platform, rotates):
    slug = active_release()
    presave(app, slug, platform)
    isrc, _ = on_platform(platform)
    label_id, release_id = release_now(app, slug, isrc)
    (row,) = rows(app, release_id)
    with app.app_context():
        old = grant_of(app, row).refresh_token(keyring())
    _expire_grant(app, row.authorization_id, platform)
    run_release_day(app, label_id, release_id)
    assert rows(app, release_id)[0].state == "delivered"
    with app.app_context():
        new = grant_of(app, row).refresh_token(keyring())
        assert (new != old) is rotates
        assert sandbox.check_refresh(platform, new)[1] is None
        assert sandbox.check_refresh(platform, old)[1] == ("revoked" if rotates else None)


def test_a_revoked_grant_fails_its_presaves_and_is_marked_revoked(app, over_http,
                                                                  active_release):
    now_slug, later_slug = active_release(), active_release(days=10)
    fan = presave(app, now_slug)
    presave(app, later_slug, client=fan)
    isrc, item_id = on_platform()
    label_id, release_id = release_now(app, now_slug, isrc)
    (row,) = rows(app, release_id)
    with app.app_context():
        sandbox.revoke_tokens("spotify", user=sandbox_user(app, row))
        calls = sandbox.token_calls("spotify")
    run_release_day(app, label_id, release_id)
    (row,) = rows(app, release_id)
    assert (row.state, row.last_error) == ("failed", "authorization_expired_or_revoked")
    grant = grant_of(app, row)
    assert grant.state == "revoked" and grant.revoked_at is not None
    with ctx(app) as session:
        later = session.scalars(select(PreSave).where(
            PreSave.authorization_id == grant.id, PreSave.id != row.id)).one()
        assert (later.state, later.last_error) == ("failed", "authorization_expired_or_revoked")
    with app.app_context():
        assert sandbox.token_calls("spotify") - calls == 2  # the doubt, then belief
    assert saves_of(app, "spotify", item_id) == []


def test_a_lease_left_by_a_dead_worker_returns_and_delivers_once(app, over_http,
                                                                 active_release):
    slug = active_release()
    presave(app, slug)
    isrc, item_id = on_platform()
    label_id, release_id = release_now(app, slug, isrc)
    with ctx(app) as session:  # a worker leased the row and died
        token, ids, _ = leases.lease(release_id, "spotify", 10, seconds=60)
        session.commit()
    assert len(ids) == 1
    run_release_day(app, label_id, release_id)  # the lease still holds: nothing to do
    assert rows(app, release_id)[0].state == "in_progress"
    assert saves_of(app, "spotify", item_id) == []
    with ctx(app) as session:
        session.execute(update(PreSave).where(PreSave.id == ids[0])
                        .values(leased_until=now_utc() - timedelta(seconds=1)))
        session.commit()
    recovered, _ = reconcile_once(app)
    assert recovered == 1
    (row,) = rows(app, release_id)
    assert (row.state, row.attempts, row.lease_token) == ("delivered", 1, None)
    with ctx(app) as session:  # the dead worker's late outcome is refused
        assert leases.settle(ids[0], token, state="failed") is False
        session.commit()
    assert rows(app, release_id)[0].state == "delivered"
    assert len(saves_of(app, "spotify", item_id)) == 1


def test_not_on_the_platform_yet_waits_then_gives_up_after_72_hours(app, over_http,
                                                                    active_release):
    slug = active_release()
    presave(app, slug)
    label_id, release_id = release_now(app, slug, new_isrc())
    run_release_day(app, label_id, release_id)
    (row,) = rows(app, release_id)
    assert (row.state, row.last_error, row.attempts) == ("pending", "not_on_platform_yet", 0)
    assert row.next_attempt_at > now_utc() + timedelta(minutes=10)
    label_id, release_id = release_now(app, slug, new_isrc(), hours_ago=73)
    run_release_day(app, label_id, release_id)
    (row,) = rows(app, release_id)
    assert (row.state, row.last_error) == ("failed", "not_found_on_platform")
