"""The fast lane for new visitors (app.views.public.speed.fast_lane) through HTTP: it serves the full
path's page without touching the database, an edit from anywhere shows on the next view, and
visitors it must not serve (a session, a NUL) go the full way."""
import json
import os
import re
import subprocess
import sys
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, update

from app.analytics import capture
from app.extensions import db, redis_connection
from app.localtime import frozen
from app.models import Release
from app.tenants.context import Scope, scoped
from app.views.public.visitor import csrf as fan_csrf
from app.views.public.speed import fast_lane
from app.views.public.speed.page_cache import cache
from config import BASE_DIR
from tests.stream_pages import MUMBAI, NOWHERE, visitor

UTM = "?utm_source=newsletter&utm_medium=email&utm_campaign=week1"


@pytest.fixture(autouse=True)
def nothing_kept(app):
    with app.app_context():
        cache().clear()
        app.extensions.pop(fast_lane.EXTENSION, None)


def new_visitor(app, path, address=NOWHERE, referrer=None):
    """A first visit: a browser with no cookie at all."""
    request = visitor(address)
    if referrer:
        request["headers"]["Referer"] = referrer
    return app.test_client(use_cookies=False).get(path, **request)


@contextmanager
def statements(app):
    """Counts the SQL statements sent to the database meanwhile: [count]."""
    count = [0]

    def counted(*args):
        count[0] += 1
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counted)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", counted)


def normalised(page):
    """The page without what differs per request: nonce, CSRF token, the server's clock."""
    page = re.sub(r'nonce="[^"]+"', 'nonce=""', page)
    page = re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value=""', page)
    return re.sub(r'data-now="[^"]+"', 'data-now=""', page)


def page_views(app, release_id):
    with app.app_context():
        entries = redis_connection().xrange(capture.STREAM)
    return [e for e in (json.loads(fields[b"e"]) for _, fields in entries)
            if e["kind"] == "page_view" and e["release_id"] == release_id]


def edit_release(app, release_id, **values):
    with app.app_context(), scoped(Scope.platform("test")):
        release = db.session.get(Release, release_id)
        for name, value in values.items():
            setattr(release, name, value)
        db.session.commit()


def test_a_kept_page_is_the_full_paths_page_without_a_database_statement(app, make_release):
    path, _, out = make_release(title="Blue Hour")
    with frozen(out - timedelta(days=1)):
        with statements(app) as full:
            first = new_visitor(app, path)
        with statements(app) as lane:
            second = new_visitor(app, path)
    assert full[0] > 0 and lane[0] == 0
    assert first.status_code == second.status_code == 200
    assert normalised(first.get_data(as_text=True)) == normalised(second.get_data(as_text=True))
    assert sorted(first.headers.keys()) == sorted(second.headers.keys())
    for response in (first, second):
        nonce = re.search(r'<style nonce="([^"]+)"', response.get_data(as_text=True)).group(1)
        assert f"'nonce-{nonce}'" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "private, no-store"
        assert "HttpOnly" in response.headers["Set-Cookie"]
        assert response.headers["Set-Cookie"].startswith(fan_csrf.COOKIE + "=")
        assert "session=" not in response.headers["Set-Cookie"]  # no session for a first visit


def test_an_edit_shows_on_the_very_next_view(app, make_release):
    path, release_id, out = make_release(title="Blue Hour")
    with frozen(out - timedelta(days=1)):
        for _ in range(2):
            assert "Blue Hour" in new_visitor(app, path).get_data(as_text=True)
        edit_release(app, release_id, title="Green Hour")
        page = new_visitor(app, path).get_data(as_text=True)
        assert "Green Hour" in page and "Blue Hour" not in page
        with app.app_context(), scoped(Scope.platform("test")):  # a bulk UPDATE, no flush
            db.session.execute(update(Release).where(Release.id == release_id)
                               .values(title="Red Hour"))
            db.session.commit()
        assert "Red Hour" in new_visitor(app, path).get_data(as_text=True)
        edit_release(app, release_id, status="draft")  # taken down: gone at once
        assert new_visitor(app, path).status_code == 404


def test_an_edit_by_another_process_shows_on_the_next_view(app, make_release):
    path, release_id, out = make_release(title="Blue Hour")
    script = (
        "import sys\n"
        "from app import create_app\n"
        "from app.extensions import db\n"
        "from app.models import Release\n"
        "from app.tenants.context import Scope, scoped\n"
        "app = create_app('config.TestConfig', REDIS_URL=sys.argv[1])\n"
        "with app.app_context(), scoped(Scope.platform('another process')):\n"
        "    db.session.get(Release, int(sys.argv[2])).title = 'Edited Elsewhere'\n"
        "    db.session.commit()\n")
    environment = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}
    with frozen(out - timedelta(days=1)):
        for _ in range(2):
            assert "Blue Hour" in new_visitor(app, path).get_data(as_text=True)
        subprocess.run([sys.executable, "-c", script, app.config["REDIS_URL"], str(release_id)],
                       cwd=BASE_DIR, env=environment, check=True, timeout=120)
        page = new_visitor(app, path).get_data(as_text=True)
    assert "Edited Elsewhere" in page and "Blue Hour" not in page


def test_each_view_is_recorded_once_with_its_source(app, make_release):
    path, release_id, out = make_release()
    with frozen(out - timedelta(days=1)):
        responses = [new_visitor(app, path + UTM, MUMBAI, "https://mail.example.net/inbox")
                     for _ in range(3)]
    views = page_views(app, release_id)
    assert [r.status_code for r in responses] == [200] * 3 and len(views) == 3
    assert {(v["utm_source"], v["utm_campaign"], v["referrer"], v["country"]) for v in views} == \
        {("newsletter", "week1", "mail.example.net", "IN")}
    for response in responses:  # the visit's source goes with it to the pre-save
        assert any(c.startswith(capture.SOURCE_COOKIE + "=")
                   for c in response.headers.getlist("Set-Cookie"))


def test_a_visitor_with_a_session_gets_their_own_messages(app, make_release):
    path, _, out = make_release()
    with frozen(out - timedelta(days=1)):
        for _ in range(2):
            new_visitor(app, path)
        returning = app.test_client()
        with returning.session_transaction() as session:
            session["_flashes"] = [("fan-info", "You are on the list for this one.")]
        page = returning.get(path, **visitor(NOWHERE)).get_data(as_text=True)
    assert "You are on the list for this one." in page


def test_a_nul_is_refused_even_for_a_kept_page(app, make_release):
    path, _, out = make_release()
    with frozen(out - timedelta(days=1)):
        for _ in range(2):
            new_visitor(app, path)
        assert new_visitor(app, path + "?utm_source=a%00b").status_code == 400


def test_a_form_is_accepted_only_with_the_token_of_its_own_cookie(app, make_release,
                                                                  monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    path, _, out = make_release()
    bad_email = {"platform": "deezer", "email": "not an email"}
    with frozen(out - timedelta(days=1)):
        new_visitor(app, path)
        ada = app.test_client()
        page = ada.get(path, **visitor(NOWHERE)).get_data(as_text=True)  # from the lane
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        own = ada.post(path + "/presave", data={**bad_email, "csrf_token": token},
                       **visitor(NOWHERE))
        stranger = app.test_client(use_cookies=False).post(
            path + "/presave", data={**bad_email, "csrf_token": token}, **visitor(NOWHERE))
        ada.set_cookie(fan_csrf.COOKIE, "x" * 32, path="/s/")
        tampered = ada.post(path + "/presave", data={**bad_email, "csrf_token": token},
                            **visitor(NOWHERE))
    assert own.status_code == 422 and "not an email" in own.get_data(as_text=True)
    assert stranger.status_code == 400 and tampered.status_code == 400
