"""deploy/backup.sh and deploy/restore.sh: dump, drop, restore, and the instance comes back.

Always on PostgreSQL, in a database of the test's own (whatever database the suite runs on):
the scripts are pg_dump and pg_restore around the app.
"""
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text

from app.crypto import DecryptError, Keyring
from app.extensions import db
from app.models import Artist, Release
from app.models.authorization import Authorization
from config import BASE_DIR, new_token_key

SERVER = "postgresql://postgres@127.0.0.1:5432"
BACKUP, RESTORE = BASE_DIR / "deploy" / "backup.sh", BASE_DIR / "deploy" / "restore.sh"


@pytest.fixture
def own_database():
    name = f"presave_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{SERVER}/test", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        with psycopg.connect(f"{SERVER}/test", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def own_redis(app):
    """A Redis database of the test's own: the demo schedules jobs under the suite's ids."""
    import redis

    from tests.support import claim_database_number

    if os.environ.get("REDIS_URL"):
        url, release = claim_database_number(os.environ["REDIS_URL"], range(1, 16), "restore")
    else:  # the suite's embedded server: database 0 is the session's
        url = f"{app.config['REDIS_URL']}?db=9"
        release = redis.Redis.from_url(url).flushdb
    yield url
    release()


def read_env_file(path):
    pairs = (line.split("=", 1) for line in Path(path).read_text().splitlines()
             if line.strip() and not line.startswith("#"))
    return {key: value for key, value in pairs}


def run_script(script, *args, env):
    return subprocess.run(["bash", str(script), *args], env={
        "PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"),
        "LOG_LEVEL": "WARNING", **env}, capture_output=True, text=True, timeout=600)


def instance_app(settings, database, redis_url, instance):
    from app import create_app

    return create_app(
        "config.TestConfig", REDIS_URL=redis_url,
        SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}",
        SECRET_KEY=settings["SECRET_KEY"], TOKEN_KEYS=settings["TOKEN_KEYS"],
        SUPPRESSION_KEY=(instance / "suppression_key").read_text().strip(),
        INSTANCE_DIR=instance, UPLOAD_DIR=instance / "uploads",
        UPLOAD_FOLDER=str(instance / "uploads"), IMG_UPLOAD_FOLDER=str(instance / "uploads"))


def make_instance(fresh):
    """The demo's cast with its artwork, and one fan of Aurora Vale with a Spotify grant."""
    from app.cli.commands import sync_roles_and_permissions
    from app.cli.demo import load_demo
    from app.models import Fan
    from app.platforms.base import TokenSet
    from app.presaves.record import store_grant
    from app.tenants.context import Scope, scoped

    with fresh.app_context(), scoped(Scope.platform("test")):
        upgrade()
        sync_roles_and_permissions()
        load_demo(echo=lambda *_: None, fans=0)
        artist = db.session.scalars(select(Artist).where(Artist.slug == "aurora-vale")).one()
        fan = Fan(artist=artist, label_id=artist.label_id, artist_id=artist.id,
                  email="restored@example.com")
        db.session.add(fan)
        db.session.flush()
        access = f"access-{uuid.uuid4().hex}"
        grant = store_grant(fan, "spotify", TokenSet(access, f"refresh-{uuid.uuid4().hex}", None,
                                                     "user-library-modify"), "restored-fan")
        db.session.commit()
        release = db.session.scalars(select(Release).where(
            Release.artist_id == artist.id, Release.slug == "tonight")).one()
        facts = {"grant_id": grant.id, "access": access, "release_id": release.id,
                 "title": release.title, "artwork": release.artwork,
                 "revision": db.session.scalar(text("SELECT version_num FROM alembic_version"))}
        db.engine.dispose()
    return facts


def grant_token(restored, grant_id, ring):
    from app.tenants.context import Scope, scoped

    with restored.app_context(), scoped(Scope.platform("test")):
        grant = db.session.get(Authorization, grant_id)
        try:
            return grant.access_token(ring)
        finally:
            db.session.remove()


def test_a_backup_brings_back_fan_pages_tokens_and_dashboards_after_the_database_is_gone(
        app, own_database, own_redis, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    # What config.py generates once in the instance folder when the environment does not set it.
    (instance / "suppression_key").write_text(uuid.uuid4().hex)
    env_file = tmp_path / "presave.env"
    env_file.write_text("\n".join([
        "# /etc/presave/presave.env",
        f"DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/{own_database}",
        f"REDIS_URL={own_redis}",
        f"INSTANCE_PATH={instance}",
        f"SECRET_KEY={uuid.uuid4().hex}",
        f"TOKEN_KEYS={new_token_key()}",
    ]) + "\n")
    settings = read_env_file(env_file)
    suppression_key = (instance / "suppression_key").read_text()
    facts = make_instance(instance_app(settings, own_database, own_redis, instance))
    assert (instance / "uploads" / facts["artwork"]).is_file()

    done = run_script(BACKUP, str(tmp_path), env={"PRESAVE_ENV_FILE": str(env_file)})
    assert done.returncode == 0, done.stderr
    backup = Path(done.stdout.strip().splitlines()[-1])
    assert backup.stat().st_mode & 0o777 == 0o700
    assert sorted(p.name for p in (backup / "secrets").iterdir()) == ["presave.env",
                                                                       "suppression_key"]
    manifest = (backup / "manifest.txt").read_text()
    assert f"alembic_revision: {facts['revision']}" in manifest
    assert "pg_dump (PostgreSQL)" in manifest

    # The disaster: the database, the uploads, the env file and the instance's secrets gone.
    with psycopg.connect(f"{SERVER}/test", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {own_database} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {own_database}")
    shutil.rmtree(instance / "uploads")
    (instance / "suppression_key").unlink()
    env_file.unlink()

    done = run_script(RESTORE, str(backup), env={"PRESAVE_ENV_FILE": str(env_file)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Ready." in done.stdout  # flask --app run init ran on the restored database
    assert read_env_file(env_file) == settings
    assert (instance / "suppression_key").read_text() == suppression_key

    restored = instance_app(read_env_file(env_file), own_database, own_redis, instance)
    client = restored.test_client()
    page = client.get("/s/aurora-vale/tonight")
    assert page.status_code == 200
    assert facts["title"] in page.get_data(as_text=True)
    assert f"/media/{facts['artwork']}" in page.get_data(as_text=True)
    artwork = client.get(f"/media/{facts['artwork']}")
    assert artwork.status_code == 200 and artwork.mimetype.startswith("image/")
    ring = Keyring(read_env_file(env_file)["TOKEN_KEYS"])
    assert grant_token(restored, facts["grant_id"], ring) == facts["access"]
    owner = restored.test_client()
    assert owner.post("/login/", data={"username": "owner@northwind.test",
                                       "password": "demo-owner"}).status_code == 302
    dashboard = owner.get(f"/analytics/release/{facts['release_id']}")
    assert dashboard.status_code == 200
    assert facts["title"] in dashboard.get_data(as_text=True)
    with restored.app_context():
        db.engine.dispose()

    # The same backup without its keyring: over a database that has tables, only with --force;
    # then everything comes back but the tokens, which no other keyring opens.
    keyless = tmp_path / "keyless"
    shutil.copytree(backup, keyless)
    (keyless / "secrets" / "presave.env").unlink()
    env_file.unlink()
    environment = {key: settings[key] for key in ("DATABASE_URL", "REDIS_URL", "INSTANCE_PATH")}
    refused = run_script(RESTORE, str(keyless), env=environment)
    assert refused.returncode == 1
    assert "has" in refused.stderr and "tables" in refused.stderr
    done = run_script(RESTORE, "--force", str(keyless), env=environment)
    assert done.returncode == 0, done.stdout + done.stderr
    generated = (instance / "token_keys").read_text().strip()  # what a keyless instance makes
    assert generated != settings["TOKEN_KEYS"]
    keyless_app = instance_app({**settings, "TOKEN_KEYS": generated}, own_database, own_redis,
                               instance)
    assert keyless_app.test_client().get("/s/aurora-vale/tonight").status_code == 200
    with pytest.raises(DecryptError):
        grant_token(keyless_app, facts["grant_id"], Keyring(generated))
    with keyless_app.app_context():
        db.engine.dispose()
