"""Flask CLI commands: `flask --app run init | demo | ...`."""
import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_migrate import upgrade

from app.cli.event_months import events_command
from app.cli.retention import retention_command
from app.localtime import iso_utc, now_utc

# `flask --app run release <command> <id>`; add a command with @release_cli.command("name").
release_cli = AppGroup("release", help="Look at one release across labels.")
analytics_cli = AppGroup("analytics", help="Analytics upkeep for operators.")


def register(app):
    app.cli.add_command(init_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(rotate_keys_command)
    app.cli.add_command(release_cli)
    analytics_cli.add_command(events_command)
    app.cli.add_command(analytics_cli)
    app.cli.add_command(retention_command)


def sync_roles_and_permissions():
    """Roles of FAB_ROLES exist; every view's permissions exist (one process, no race)."""
    appbuilder = current_app.appbuilder
    sm = appbuilder.sm
    for role_name in (*current_app.config["FAB_ROLES"], sm.auth_role_admin, sm.auth_role_public):
        sm.add_role(role_name)
    appbuilder.add_permissions(update_perms=True)
    sm.security_cleanup(appbuilder.baseviews, appbuilder.menu)


@click.command("init")
@with_appcontext
def init_command():
    """Migrate the database to the current schema, sync roles and permissions, and compress
    the static assets."""
    from app.views.assets import precompress

    click.echo("Migrating the database…")
    upgrade()
    _make_event_months()
    click.echo("Syncing roles and permissions…")
    sync_roles_and_permissions()
    click.echo("Compressing static assets…")
    precompress()
    click.echo("Ready.")


def _make_event_months():
    """The raw events' partitions of the months to come (PostgreSQL; the cron keeps it so)."""
    from app.analytics import event_months
    from app.tenants.context import Scope, scoped

    with scoped(Scope.platform("cli:init")):
        made = event_months.ensure(now_utc())
    if made:
        click.echo(f"Made the raw events' months {', '.join(map(str, made))}.")


@click.command("demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Only load when the database has no labels.")
@click.option("--fans", type=click.IntRange(0, 100_000), default=None,
              help="How many fans the demo artists share (default 2400; 0: none).")
def demo_command(if_empty, fans):
    """Load the demo labels, artists, releases, logins and audience (idempotent)."""
    from app.cli.demo import NotInitialised, load_demo
    from app.cli.demo_audience import DEMO_FANS

    try:
        load_demo(if_empty=if_empty, echo=click.echo, fans=DEMO_FANS if fans is None else fans)
    except NotInitialised as exc:
        raise click.ClickException(str(exc)) from None


@click.command("rotate-keys")
@with_appcontext
def rotate_keys_command():
    """Re-seal every stored secret with the newest key of TOKEN_KEYS."""
    from app.cli.rotate_keys import rotate_all

    with click.progressbar(length=0, label="Re-sealing secrets") as bar:
        counts = rotate_all(progress=bar.update)
    click.echo(", ".join(f"{name}: {n} re-sealed" for name, n in counts.items()))


@release_cli.command("status")
@click.argument("release_id", type=int)
def release_status_command(release_id):
    """The delivery ledger of a release: pre-saves by platform and state, what comes next,
    and its status history."""
    from app.tenants.context import Scope, scoped

    with scoped(Scope.platform("cli:release status")):
        _echo_status(_release_or_fail(release_id))


@release_cli.command("run-day")
@click.argument("release_id", type=int)
@click.option("--now", "surprise", is_flag=True,
              help="A surprise drop: move the release instant to now first.")
def release_run_day_command(release_id, surprise):
    """Run release day now, in this process: mark the release released, deliver its due
    pre-saves and send its reminders, then print the ledger (as `release status`). A release
    still ahead needs --now; drafts and archived releases are refused."""
    from app.jobs import run_day
    from app.releases.rules import TransitionError
    from app.tenants.context import Scope, scoped

    with scoped(Scope.platform("cli:release run-day")):
        release = _release_or_fail(release_id)
        try:
            run_day.prepare(release, surprise, "cli:release run-day")
        except TransitionError as exc:
            raise click.ClickException(str(exc)) from None
        total = run_day.outstanding(release_id)
        with click.progressbar(length=total, label=f"Release day: {total} pre-saves") as bar:
            failed = run_day.run(release.label_id, release_id, lambda: bar.update(
                max(0, total - run_day.outstanding(release_id) - bar.pos)))
        if failed:
            click.echo(f"{failed} job(s) failed: see `rq info` and the worker log", err=True)
        _echo_status(_release_or_fail(release_id))


@release_cli.command("resolve-links")
@click.argument("release_id", type=int)
def release_resolve_links_command(release_id):
    """Look the release's streaming links up now (ISRC, UPC, verified search, then the
    external resolver if configured) and print what was found per platform."""
    from app.extensions import db
    from app.jobs import links as link_jobs
    from app.releases.links import checks
    from app.tenants.context import Scope, scoped

    with scoped(Scope.platform("cli:release resolve-links")):
        release = _release_or_fail(release_id)
        with click.progressbar(length=len(release.platforms or []),
                               label=f"Looking up “{release.title}”") as bar:
            outcomes = link_jobs.look(release, progress=lambda _platform: bar.update(1))
        db.session.commit()
        link_jobs.schedule_planned(release)
        click.echo("\n".join(_links_table(outcomes) + [""] + _checks_lines(checks(release))))


def _links_table(outcomes):
    from app.platforms.web_links import name

    rows = [["platform", "result", "source", "link", "why"]]
    for platform, outcome in outcomes.items():
        row = outcome.link
        if row is not None:
            state = ("hidden" if row.hidden else "kept") if not outcome.looked else "found"
            rows.append([name(platform), state, row.source, row.url, row.note or ""])
        else:
            rows.append([name(platform), "not found", "", "", outcome.problem or ""])
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return ["  ".join([*(cell.ljust(w) for cell, w in zip(r[:4], widths)), r[4]]).rstrip()
            for r in rows]


def _checks_lines(state):
    missing = ", ".join(state["missing"]) or "none"
    lines = [f"Look-ups so far: {state['attempts']}; still missing: {missing}"]
    if state["gave_up_at"]:
        lines.append(f"Gave up at {iso_utc(state['gave_up_at'])} (72 h after the release)")
    elif state["next_check_at"]:
        lines.append(f"Next look-up: {iso_utc(state['next_check_at'])}")
    return lines


def _release_or_fail(release_id):
    from app.extensions import db
    from app.models import Release

    release = db.session.get(Release, release_id)
    if release is None:
        raise click.ClickException(f"No release with id {release_id}")
    return release


def _echo_status(release):
    """The output of `release status`: heading, ledger, what comes next, history."""
    from app.releases import rules

    click.echo("\n".join([*_release_heading(release), "",
                          *_ledger_table(rules.ledger_counts(release)), "",
                          *_next_lines(rules.next_instant(release), rules.next_attempt(release)),
                          "", *_history_lines(release.history)]))


LEDGER_STATES = ["pending", "retrying", "in_progress", "delivered", "failed", "cancelled"]


def _release_heading(release):
    return [f"“{release.title}” by {release.artist.name} (release {release.id}): "
            f"{release.status_label}",
            f"Release {release.release_local:%Y-%m-%d %H:%M} {release.timezone} "
            f"= {iso_utc(release.release_at)}, mode {release.release_mode}"]


def _ledger_table(counts):
    if not counts:
        return ["No pre-saves yet."]
    rows = [[platform, *(str(states.get(s, 0)) for s in LEDGER_STATES)]
            for platform, states in counts.items()]
    totals = [str(sum(states.get(s, 0) for states in counts.values())) for s in LEDGER_STATES]
    table = [["platform", *LEDGER_STATES], *rows, ["total", *totals]]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                      for i, (cell, w) in enumerate(zip(row, widths))) for row in table]


def _next_lines(instant, attempt):
    step = f"{instant[0]} at {iso_utc(instant[1])}" if instant else "nothing scheduled"
    due = iso_utc(attempt) if attempt else "none pending"
    return [f"Next: {step}", f"Next pre-save attempt: {due}"]


def _history_lines(history):
    return ["History:"] + [f"  {iso_utc(change.at)}  " + (
        change.note or f"{change.from_status or '-'} -> {change.to_status}")
        + f"  ({change.actor})" for change in history]


@analytics_cli.command("rebuild-rollups")
@click.option("--release", "release_id", type=int, help="Only this release (default: all).")
def rebuild_rollups_command(release_id):
    """Recount the daily rollups the dashboards read from the stored events, in one
    transaction (for example after restoring events from a backup)."""
    from app.analytics import rollups
    from app.extensions import db
    from app.tenants.context import Scope, scoped

    with scoped(Scope.platform("cli:analytics rebuild-rollups")):
        if release_id is not None:
            _release_or_fail(release_id)
        counted, left = rollups.rebuild(release_id)
        db.session.commit()
    click.echo(f"Rollups rebuilt from {counted} events.")
    if left:
        click.echo(f"Left as they were (their older events are no longer kept): "
                   f"{len(left)} release(s), ids {', '.join(map(str, left))}.")
