"""Staff's home is the label's overview: this week's drops, live campaigns with their pace,
what needs action, the last release night; the platform admin sees every label plus the
health of the background work. One label never sees another's releases."""
import re
from datetime import datetime, timedelta, timezone

import pytest

from app.extensions import db
from app.localtime import frozen
from app.tenants.context import Scope, scoped
from tests.analytics_data import (PASSWORD, event, new_artist, new_label, new_release, new_user,
                                  store)
from tests.ledger_rows import add_row

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=timezone.utc)
TODAY = NOW.replace(hour=9)


def _release(artist, title, status, opens, out):
    release = new_release(artist, title, opens.replace(tzinfo=None), out.replace(tzinfo=None))
    release.status = status
    return release


@pytest.fixture(scope="module")
def world(app):
    """Label "Overview": "Tonight" (pre-save open, out in 2 days; 3 pre-saves today, 2 four
    days ago, 5 twenty days ago; 40 views), "Later" (announced, out in 30 days), "Gone" (out
    yesterday; its ledger: 2 delivered, 1 failed, 1 retrying) and a draft out tomorrow. Label
    "Elsewhere": one open release of its own."""
    with app.app_context(), scoped(Scope.platform("test")):
        label, other = new_label(), new_label()
        artist, stranger = new_artist(label.id, "Overview Artist"), new_artist(other.id, "Else")
        tonight = _release(artist, "Tonight Overview", "presave_active", NOW - timedelta(days=25),
                           NOW + timedelta(days=2))
        later = _release(artist, "Later Overview", "announced", NOW + timedelta(days=5),
                         NOW + timedelta(days=30))
        gone = _release(artist, "Gone Overview", "released", NOW - timedelta(days=20),
                        NOW - timedelta(days=1))
        _release(artist, "Draft Overview", "draft", NOW, NOW + timedelta(days=1))
        theirs = _release(stranger, "Elsewhere Overview", "presave_active",
                          NOW - timedelta(days=3), NOW + timedelta(days=3))
        store([*(event(tonight, "presave_completed", TODAY, platform="spotify") for _ in range(3)),
               *(event(tonight, "presave_completed", TODAY - timedelta(days=4), platform="deezer")
                 for _ in range(2)),
               *(event(tonight, "presave_completed", TODAY - timedelta(days=20),
                       platform="spotify") for _ in range(5)),
               *(event(tonight, "page_view", TODAY - timedelta(days=20)) for _ in range(40)),
               event(theirs, "presave_completed", TODAY, platform="spotify")])
        for name, state, attempts, error in [
                ("Night One", "delivered", 1, None), ("Night Two", "delivered", 1, None),
                ("Night Three", "failed", 1, "authorization_expired_or_revoked"),
                ("Night Four", "pending", 2, "not_on_platform_yet")]:
            add_row(gone, name, "spotify", "save", state, attempts, error)
        db.session.commit()
        staff = new_user("Label Staff", label.id)
        ids = {"tonight": tonight.id, "later": later.id, "gone": gone.id, "theirs": theirs.id}
        db.session.remove()
    return {"staff": staff, **ids}


@pytest.fixture
def overview(login, world):
    def read(email=None, password=PASSWORD):
        client = login(email or world["staff"], password)
        with frozen(NOW):
            answer = client.get("/overview/")
        assert answer.status_code == 200
        return answer.get_data(as_text=True)
    return read


def _article(page, release_id):
    found = re.search(rf'<article class="overview-campaign" data-release="{release_id}">(.*?)'
                      r"</article>", page, re.S)
    return found and found.group(1)


def _pace(article, name):
    return re.search(rf'data-pace="{name}"[^>]*>([^<]*)<', article).group(1)


def test_staff_land_on_the_overview(login, world):
    answer = login(world["staff"], PASSWORD).get("/")
    assert answer.headers["Location"] == "/overview/"


def test_a_live_campaign_shows_its_pace_today_this_week_and_in_all(overview, world):
    article = _article(overview(), world["tonight"])
    assert [_pace(article, n) for n in ("today", "week", "total", "conversion")] == \
        ["3", "5", "10", "25.0%"]
    assert 'aria-label="Pre-saves of Tonight Overview: 0, 0, 2, 0, 0, 0, 3 pre-saves a day' \
        in article
    assert "/s/" in re.search(r'<input id="fan-url-\d+"[^>]*value="([^"]+)"', article).group(1)
    assert 'data-copy="#fan-url-' in article


def test_the_week_the_kpis_and_the_label_boundary(overview, world):
    page = overview()
    drops = re.findall(r'<li class="list-group-item overview-drop" data-release="(\d+)"', page)
    assert drops == [str(world["tonight"])]  # not the draft, not next month, not theirs
    assert _article(page, world["later"]) is not None
    assert _article(page, world["theirs"]) is None and "Elsewhere Overview" not in page
    kpis = dict(re.findall(r'data-kpi="(\w+)">(\d+)<', page))
    assert kpis["drops"] == "1" and kpis["live"] == "2" and kpis["today"] == "3"
    assert kpis["week"] == "5"
    assert "Background work" not in page  # queue health is the operator's


def test_what_needs_action_is_gathered_across_releases_and_addressed_to_the_reader(
        overview, world):
    page = overview()
    actions = page.split('id="actions-title"')[1].split("</section>")[0]
    releases = re.findall(r'<li class="list-group-item" data-release="(\d+)">', actions)
    assert str(world["tonight"]) in releases and str(world["later"]) in releases
    assert "Draft Overview" not in actions
    assert 'data-kind="no_credentials"' in actions or 'data-kind="sandbox"' in actions
    # staff cannot add credentials: they are told whom to ask
    assert "Ask your label admin to add them under Account → Platform credentials." in actions


def test_the_last_release_night_in_words(overview, world):
    page = overview()
    night = page.split('id="night-title"')[1].split("</section>")[0]
    assert "Gone Overview" in night
    states = dict(re.findall(r'data-state="(\w+)"><span[^>]*></span> <strong>(\d+)</strong>',
                             night))
    assert states == {"delivered": "2", "failed": "1", "retrying": "1"}
    assert "<strong>1</strong> The fan&#39;s permission expired or was withdrawn" in night


def test_the_operator_sees_every_label_and_the_background_work(overview, world, app):
    page = overview("admin@presave.test", "demo-admin")
    assert _article(page, world["tonight"]) and _article(page, world["theirs"])
    health = page.split('id="health-title"')[1].split("</section>")[0]
    assert re.search(r'data-health="workers"[^>]*><strong>\d+</strong> worker', health)
    assert 'data-health="reconciler"' in health


def test_the_reconciler_run_shows_on_the_operators_overview(overview, app):
    from app.jobs.lifecycle import reconcile

    with app.app_context(), frozen(NOW - timedelta(minutes=2)):
        reconcile(None)
    health = overview("admin@presave.test", "demo-admin").split('id="health-title"')[1]
    assert "last ran 2 min ago" in health and "(14:58 UTC)" in health
    queues = re.findall(r'<tr data-queue="([\w-]+)">', health)
    assert "release" in queues
