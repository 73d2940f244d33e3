"""`flask demo` builds a living label on an empty database: fans from many cities, pre-saves
on every platform, a release night in the ledger, painted artwork; the same counts on a
second run; and the overview shows the numbers the database holds."""
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from PIL import Image
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.localtime import now_utc
from app.models import Artist, Event, Fan, Label, PreSave, Release
from app.tenants.context import Scope, scoped
from tests.support import fresh_database

FANS = 240
AUDIENCE = re.compile(r"Demo audience: (\d+) fans from (\d+) cities, (\d+) pre-saves \(([^)]*)\), "
                      r"(\d+) events")


@pytest.fixture(scope="module")
def demo(app, tmp_path_factory):
    """(the fresh app, the output of the first `flask demo`, of the second)."""
    with fresh_database(app, tmp_path_factory.mktemp("demo")) as uri:
        fresh = create_app("config.TestConfig", REDIS_URL=app.config["REDIS_URL"],
                           SQLALCHEMY_DATABASE_URI=uri)
        cli = fresh.test_cli_runner()
        with fresh.app_context():
            upgrade()
        assert cli.invoke(args=["init"]).exit_code == 0
        first, second = (cli.invoke(args=["demo", "--fans", str(FANS)]) for _ in range(2))
        assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
        yield fresh, first.output, second.output
        with fresh.app_context():
            db.engine.dispose()


def _said(output):
    fans, cities, presaves, states, events = AUDIENCE.search(output).groups()
    return {"fans": int(fans), "cities": int(cities), "presaves": int(presaves),
            "states": dict((state, int(n)) for n, state in
                           (part.split(" ") for part in states.split(", "))),
            "events": int(events)}


def test_the_counts_it_prints_are_the_databases_and_a_second_run_changes_nothing(demo):
    fresh, first, second = demo
    said = _said(first)
    assert "Demo audience made in" in first and "Demo audience made in" not in second
    assert _said(second) == said
    with fresh.app_context(), scoped(Scope.platform("test")):
        assert db.session.scalar(select(func.count(Fan.id))) == said["fans"]
        assert db.session.scalar(select(func.count(PreSave.id))) == said["presaves"]
        assert db.session.scalar(select(func.count(Event.id))) == said["events"]
        platforms = set(db.session.scalars(select(PreSave.platform).distinct()))
    assert FANS * .8 <= said["fans"] <= FANS
    assert said["cities"] >= 20
    assert {"delivered", "failed", "retrying", "pending"} <= set(said["states"])
    assert platforms == {"spotify", "apple_music", "deezer", "tidal", "youtube_music",
                         "amazon_music"}


def test_the_releases_out_now_have_their_night_in_the_ledger_with_reasons(demo):
    fresh, _, _ = demo
    with fresh.app_context(), scoped(Scope.platform("test")):
        out = db.session.scalars(select(Release).where(Release.status == "released")).all()
        rows = db.session.scalars(select(PreSave).where(
            PreSave.release_id.in_([release.id for release in out]))).all()
        failed = {row.last_error for row in rows if row.state == "failed"}
        delivered = [row for row in rows if row.state == "delivered"]
        assert failed and None not in failed
        assert all(row.release.release_at <= row.delivered_at
                   <= row.release.release_at + timedelta(hours=1) for row in delivered)
        released = Event.release_id.in_([release.id for release in out])
        assert db.session.scalar(select(func.count(Event.id)).where(
            released, Event.kind == "delivered")) == len(delivered)
        assert db.session.scalar(select(func.count(Event.id)).where(
            released, Event.kind == "stream_click")) > 0


def test_the_artwork_is_painted_not_a_gradient(demo):
    fresh, _, _ = demo
    with fresh.app_context(), scoped(Scope.platform("test")):
        names = db.session.scalars(select(Release.artwork)).all()
        stored = Path(fresh.config["UPLOAD_DIR"]) / names[0]
        image = Image.open(io.BytesIO(stored.read_bytes())).convert("RGB")
    assert len(set(names)) == len(names)  # every release its own cover
    assert len(image.resize((200, 200)).getcolors(200 * 200)) > 2000


def test_the_overview_shows_the_demos_numbers(demo):
    fresh, _, _ = demo
    client = fresh.test_client()
    client.post("/login/", data={"username": "staff@northwind.test", "password": "demo-staff"})
    page = client.get("/overview/").get_data(as_text=True)
    with fresh.app_context(), scoped(Scope.platform("test")):
        tonight = db.session.scalars(
            select(Release).join(Artist, Artist.id == Release.artist_id)
            .join(Label, Label.id == Artist.label_id)
            .where(Release.slug == "tonight", Label.slug == "northwind")).all()
        totals = {release.id: db.session.scalar(select(func.count(Event.id)).where(
            Event.release_id == release.id, Event.kind == "presave_completed"))
            for release in tonight}
        today = db.session.scalar(select(func.count(Event.id)).where(
            Event.release_id.in_(totals), Event.kind == "presave_completed",
            Event.occurred_at >= now_utc().replace(hour=0, minute=0, second=0, microsecond=0)))
    for release_id, total in totals.items():
        article = page.split(f'<article class="overview-campaign" data-release="{release_id}">',
                             1)[1].split("</article>")[0]
        assert f'data-pace="total">{total}<' in article and total > 0
    assert f'data-kpi="today">{today}<' in page


def test_the_demo_has_its_messages_to_fans_once(demo):
    """Thank-yous, It's out for the releases that are out, a blast: sent, a few bounced, some
    clicked; made by the first run only, and shown on the Messages page."""
    from app.models import Message, MessageRecipient

    fresh, first, second = demo
    made = re.findall(r"  (.+): (\d+) messages to fans", first)
    assert len(made) == 4 and all(int(n) > 0 for _, n in made)
    assert "messages to fans" not in second
    with fresh.app_context(), scoped(Scope.platform("test")):
        kinds = set(db.session.scalars(select(Message.kind).distinct()))
        rows = db.session.execute(select(MessageRecipient.state, func.count())
                                  .group_by(MessageRecipient.state)).all()
        clicked = db.session.scalar(select(func.count()).select_from(MessageRecipient)
                                    .where(MessageRecipient.clicks > 0))
    assert kinds == {"thank_you", "its_out", "blast"}
    assert dict(rows).keys() <= {"sent", "bounced"} and sum(n for _, n in rows) == sum(
        int(n) for _, n in made)
    assert clicked > 0
