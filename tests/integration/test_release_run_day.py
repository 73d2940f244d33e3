"""`flask release run-day <id>` through Flask's CLI runner: release day in this process,
against the sandbox served on a local port (the batches use aiohttp)."""
from datetime import timedelta

from sqlalchemy import select

from app.localtime import now_utc
from app.models import Release
from tests.release_day_runs import ctx, on_platform, presave, release_now as due_now, rows, saves_of


def run_day(app, release_id, *options):
    return app.test_cli_runner().invoke(args=["release", "run-day", str(release_id), *options])


def set_isrc(app, slug, isrc):
    with ctx(app) as session:
        release = session.scalars(select(Release).where(Release.slug == slug)).one()
        release.isrc = isrc
        session.commit()
        return release.id


def test_run_day_delivers_the_due_presaves_and_prints_the_ledger(app, over_http, active_release):
    slug = active_release()
    for _ in range(3):
        presave(app, slug)
    isrc, item_id = on_platform()
    _, release_id = due_now(app, slug, isrc)
    result = run_day(app, release_id)
    assert result.exit_code == 0, result.output
    assert [p.state for p in rows(app, release_id)] == ["delivered"] * 3
    assert len(saves_of(app, "spotify", item_id)) == 3
    lines = result.output.splitlines()
    assert "Release day: 3 pre-saves" in lines[0]
    heading = next(i for i, line in enumerate(lines) if line.startswith("“Flow Song”"))
    assert lines[heading].endswith(": Released")
    assert ["spotify", "0", "0", "0", "3", "0", "0"] in [line.split() for line in lines]
    assert "History:" in lines and "presave_active -> released  (cli:release run-day)" in \
        result.output
    again = run_day(app, release_id)  # nothing is saved twice
    assert again.exit_code == 0 and len(saves_of(app, "spotify", item_id)) == 3


def test_run_day_now_is_a_surprise_drop(app, over_http, active_release):
    slug = active_release(days=5)
    presave(app, slug)
    isrc, item_id = on_platform()
    release_id = set_isrc(app, slug, isrc)
    refused = run_day(app, release_id)
    assert refused.exit_code == 1 and "add --now to release it now" in refused.output
    assert rows(app, release_id)[0].state == "pending"
    result = run_day(app, release_id, "--now")
    assert result.exit_code == 0, result.output
    with ctx(app) as session:
        release = session.get(Release, release_id)
        assert release.status == "released"
        assert now_utc() - timedelta(minutes=2) < release.release_at <= now_utc()
        assert release.history[-1].actor == "cli:release run-day"
    assert [p.state for p in rows(app, release_id)] == ["delivered"]
    assert len(saves_of(app, "spotify", item_id)) == 1


def test_run_day_refuses_drafts_and_unknown_releases(app, active_release):
    slug = active_release()
    with ctx(app) as session:
        release = session.scalars(select(Release).where(Release.slug == slug)).one()
        release.status = "draft"
        session.commit()
        release_id = release.id
    refused = run_day(app, release_id, "--now")
    assert refused.exit_code == 1 and "A draft cannot be released: announce it first" in \
        refused.output
    unknown = run_day(app, 999999)
    assert unknown.exit_code == 1 and "No release with id 999999" in unknown.output
