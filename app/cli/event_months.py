"""`flask --app run analytics events [--remove-old] [--dry-run]`: the raw analytics events
month by month (where each is kept, how many, which are past EVENT_RETENTION_MONTHS), and
removing those past it, as the nightly retention run does."""
import click
from flask import current_app
from flask.cli import with_appcontext

from app.analytics import event_months
from app.jobs.runtime import job_context
from app.localtime import now_utc

ACTOR = "cli:analytics events"


@click.command("events")
@with_appcontext
@click.option("--remove-old", is_flag=True,
              help="Remove the months past EVENT_RETENTION_MONTHS whose counts are kept.")
@click.option("--dry-run", is_flag=True, help="With --remove-old: say what would go.")
def events_command(remove_old, dry_run):
    """The raw analytics events by month; the dashboards read their counts, kept for ever."""
    now = now_utc()
    with job_context(None, ACTOR, app=current_app._get_current_object()):
        first_kept = event_months.kept_since(now)
        where = ("one partition a month (PostgreSQL)" if event_months.partitioned()
                 else "one table (SQLite)")
        click.echo(f"Raw analytics events, {where}; kept "
                   + (f"from {first_kept} ({event_months.kept_months()} months)" if first_kept
                      else "for ever") + ":")
        partitions = event_months.partitions() if event_months.partitioned() else {}
        for month, events in event_months.by_month():
            place = partitions.get(month, event_months.DEFAULT if partitions else "")
            past = " past the limit" if first_kept and month.first < first_kept.first else ""
            click.echo(f"  {month}  {events:>12,}  {place}{past}")
        if remove_old:
            remove_past_limit(now, dry_run)


def remove_past_limit(now, dry_run):
    """Say which months are past the limit, then (unless ``dry_run``) remove them."""
    months = event_months.kept_months()
    click.echo(f"Raw analytics events ({f'kept {months} months' if months else 'kept for ever'}"
               "; the dashboards' counts stay whatever goes):")
    found = event_months.due(now)
    if not found:
        click.echo("  none past the limit")
        return
    for month in found:
        click.echo(f"  {month.month}: {month.events} events" + (
            "" if month.counted else " kept: the rollups do not count them all (run "
            "`flask --app run analytics rebuild-rollups`)"))
    if not dry_run:
        with click.progressbar(length=sum(m.events for m in found if m.counted),
                               label="Raw analytics events: removing") as bar:
            event_months.drop_old(now, progress=bar.update, found=found)
