"""Flask CLI commands: `flask --app run init | demo | ...`."""
import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade


def register(app):
    app.cli.add_command(init_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(rotate_keys_command)


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
    """Migrate the database to the current schema and sync roles and permissions."""
    click.echo("Migrating the database…")
    upgrade()
    click.echo("Syncing roles and permissions…")
    sync_roles_and_permissions()
    click.echo("Ready.")


@click.command("demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Only load when the database has no labels.")
def demo_command(if_empty):
    """Load the demo labels, artists, releases and logins (idempotent)."""
    from app.demo import load_demo

    load_demo(if_empty=if_empty, echo=click.echo)


@click.command("rotate-keys")
@with_appcontext
def rotate_keys_command():
    """Re-seal every stored secret with the newest key of TOKEN_KEYS."""
    from app.crypto_rotation import rotate_all

    with click.progressbar(length=0, label="Re-sealing secrets") as bar:
        counts = rotate_all(progress=bar.update)
    click.echo(", ".join(f"{name}: {n} re-sealed" for name, n in counts.items()))
