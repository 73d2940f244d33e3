"""`flask demo` on a database `flask init` has not prepared: refused with the way out, and
logins left without a role by an earlier run are repaired."""
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.models import PresaveUser
from app.tenants.context import Scope, scoped

STAFF = "staff@northwind.test"


def test_demo_before_init_is_refused_then_init_and_demo_repair_the_logins(app, tmp_path):
    fresh = create_app("config.TestConfig", REDIS_URL=app.config["REDIS_URL"],
                       SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'fresh.db'}")
    cli = fresh.test_cli_runner()
    with fresh.app_context():
        upgrade()  # the schema, but no roles: what `flask db upgrade` alone leaves
    refused = cli.invoke(args=["demo"])
    assert refused.exit_code == 1
    assert "run `flask init` first" in refused.output
    with fresh.app_context(), scoped(Scope.platform("test")):
        assert db.session.query(PresaveUser).count() == 0

    assert cli.invoke(args=["init"]).exit_code == 0
    assert cli.invoke(args=["demo", "--fans", "0"]).exit_code == 0
    with fresh.app_context(), scoped(Scope.platform("test")):  # as an older `demo` left it
        db.session.query(PresaveUser).filter_by(email=STAFF).one().roles = []
        db.session.commit()
    again = cli.invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0 and f"given their role again: {STAFF}" in again.output
    client = fresh.test_client()
    signed_in = client.post("/login/", data={"username": STAFF, "password": "demo-staff"})
    assert signed_in.status_code == 302
    assert client.get("/releases/list/").status_code == 200
    with fresh.app_context():
        db.engine.dispose()
