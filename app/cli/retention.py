"""`flask --app run retention [--dry-run] [--label <slug>]`: the nightly retention run by hand,
or only what it would do. Per label and rule: how many rows, and on a dry run which ones; then
(over every label) the raw analytics events' months past their limit."""
import textwrap

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.cli.event_months import remove_past_limit
from app.extensions import db
from app.jobs.runtime import job_context
from app.localtime import iso_utc, now_utc
from app.models import Label
from app.models.retention import LIMITS
from app.retention import run
from app.retention.rules import AT_ONCE

ACTOR = "cli:retention"
UNITS = {limit.column: limit.unit for limit in LIMITS}


@click.command("retention")
@with_appcontext
@click.option("--dry-run", is_flag=True, help="List what would go; change nothing.")
@click.option("--label", "slug", help="Only this label (its slug); the instance's own audit "
                                      "entries are left for a run over every label.")
def retention_command(dry_run, slug):
    """Apply each label's data retention now, as the nightly run does (see Account → Data
    retention), or with --dry-run list what it would delete."""
    app = current_app._get_current_object()
    now = now_utc()
    labels = _labels(app, slug)
    click.echo(f"Data retention as of {iso_utc(now)}"
               + (": a dry run, nothing is changed." if dry_run else "."))
    for label_id, name in [*labels, *([(None, "Audit entries of no label")] if not slug else [])]:
        with job_context(label_id, ACTOR, app=app):
            found = _listed(label_id, name, now)
            if dry_run:
                _echo(found, found.counts(), show_ids=True)
                continue
            with click.progressbar(length=found.total, label=f"{name}: applying") as bar:
                done = run.apply(label_id, now, progress=bar.update, planned=found)
            _echo(found, done)
    if not slug:
        with job_context(None, ACTOR, app=app):
            remove_past_limit(now, dry_run)


def _labels(app, slug):
    with job_context(None, ACTOR, app=app):
        stmt = select(Label.id, Label.name).order_by(Label.name)
        if slug:
            stmt = stmt.where(Label.slug == slug)
        labels = [tuple(row) for row in db.session.execute(stmt)]
    if slug and not labels:
        raise click.ClickException(f"No label has the slug {slug!r}")
    return labels


def _listed(label_id, name, now):
    with click.progressbar(length=len(run.rules_for(label_id)),
                           label=f"{name}: listing what is due") as bar:
        return run.plan(label_id, now, progress=bar.update)


def _echo(found, counts, show_ids=False):
    for rule in found.rules:
        ids = found.due[rule.key]
        click.echo(f"  {rule.title} ({_limit(found, rule)}): {counts[rule.key]} {rule.action}")
        if show_ids and ids:
            listing = ", ".join(str(i) for i in ids)
            click.echo(textwrap.fill(f"{rule.model.__tablename__} ids: {listing}", width=96,
                                     initial_indent="      ", subsequent_indent="      "))


def _limit(found, rule):
    if rule.limit is AT_ONCE:
        return "at once"
    return f"after {found.ctx.limits[rule.limit]} {UNITS[rule.limit]}"
