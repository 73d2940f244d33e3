"""Account → Activity over HTTP: a label admin reads the label's entries, Label Staff only their
own whatever the query says, the operator every label's with a label filter; the kind and date
filters, the CSV (itself one entry in the trail), bad filters answered without a 500, artists
kept out; a release's History panel from the trail with the status lines from before it."""
import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app import audit
from app.extensions import db
from app.localtime import frozen, now_utc
from app.models import AuditEntry, Release, ReleaseStatusChange
from app.tenants.context import Scope, scoped
from tests.audit_entries import user_id
from tests.own_label import make_label, new_release

OWNER, STAFF, ARTIST = "owner@northwind.test", "staff@northwind.test", "artist@northwind.test"
OPERATOR = "admin@presave.test"
JANUARY = datetime(2026, 1, 10, 12, 0, tzinfo=timezone.utc)
FEBRUARY = datetime(2026, 2, 20, 12, 0, tzinfo=timezone.utc)


def export_entries(app, label_id):
    with app.app_context(), scoped(Scope.platform("test")):
        return db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "export.activity", AuditEntry.label_id == label_id)).all()


def rows_of(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


@pytest.fixture
def archived_by_hand(app, login, unique):
    """Two Northwind releases, one archived by the owner and one by staff, through HTTP;
    {who: release title}."""
    titles = {}
    for email in (OWNER, STAFF):
        title = unique("Five Places")
        release_id, _ = new_release(app, "aurora-vale", title=title)
        answer = login(email).post(f"/releases/archive/{release_id}")
        assert answer.status_code == 302
        titles[email] = title
    return titles


@pytest.fixture
def quiet_label(app):
    """A label of the test's own with six entries the operator reads: the label and its artist
    made today, then an artist changed in January and February by a user, a release archived
    in February, a download in January."""
    label_id, _ = make_label(app, "Quiet")
    person = {"actor": "quiet@label.test", "user_id": 900_001, "role": "Label Admin",
              "via": "web"}
    made = [(JANUARY, "artist.changed", {"object_type": "artist", "object_id": 1,
                                         "name": "Sea Glass"}),
            (FEBRUARY, "artist.changed", {"object_type": "artist", "object_id": 1,
                                          "name": "Sea Glass"}),
            (FEBRUARY, "release.archived", {"object_type": "release", "object_id": 2,
                                            "name": "Low Tide"}),
            (JANUARY, "export.fans", {"detail": {"rows": 12}})]
    for at, action, about in made:
        with app.app_context(), scoped(Scope.label(label_id, **person)), frozen(at):
            audit.record(action, label_id=label_id, **about)
            db.session.commit()
    return label_id


def test_a_label_admin_reads_everyone_and_staff_only_themselves(app, login, archived_by_hand):
    owner_page = login(OWNER).get("/activity/?kind=release").text
    for email, title in archived_by_hand.items():
        assert f"Archived “{title}”" in owner_page and email in owner_page
    staff = login(STAFF)
    for query in ("", "?person=" + str(user_id(app, OWNER)), "?kind=release"):
        page = staff.get("/activity/" + query).text
        assert f"Archived “{archived_by_hand[STAFF]}”" in page, query
        assert archived_by_hand[OWNER] not in page and OWNER not in page, query
    assert "Your activity" in page and "Your label admin sees everyone" in page
    assert 'name="person"' not in page  # no one else to choose


def test_staff_are_shown_the_page_in_the_account_menu(login):
    home = login(STAFF).get("/", follow_redirects=True).text
    assert 'href="/activity/"' in home
    assert 'href="/label-users/list/"' not in home


def test_the_operator_reads_every_label_and_filters_by_one(app, login, archived_by_hand,
                                                          quiet_label):
    operator = login(OPERATOR)
    everything = operator.get("/activity/?kind=release.archived").text
    assert archived_by_hand[OWNER] in everything and "Low Tide" in everything
    one_label = operator.get(f"/activity/?label={quiet_label}").text
    table = one_label.split('class="table activity-table"')[1]  # the menus name everyone
    assert "Low Tide" in table and "Sea Glass" in table
    assert archived_by_hand[OWNER] not in one_label and OWNER not in table
    assert "1–6 of 6 entries" in one_label


@pytest.mark.parametrize("query, shown", [
    ("kind=artist", ["Allow List", "Sea Glass", "Sea Glass"]),
    ("kind=artist.changed&from=2026-02-01", ["Sea Glass"]),
    ("from=2026-02-01&to=2026-02-28", ["Low Tide", "Sea Glass"]),
    ("to=2026-01-31", ["Sea Glass", "Downloaded the fans"]),
    ("kind=export", ["Downloaded the fans"]),
    ("person=900001&kind=release", ["Low Tide"]),
    ("person=900002", []),
])
def test_the_kind_person_and_date_filters(app, login, quiet_label, query, shown):
    page = login(OPERATOR).get(f"/activity/?label={quiet_label}&{query}").text
    count = {0: "No entries", 1: "1 entry"}.get(len(shown), f"of {len(shown)} entries")
    assert count in page
    table = page.split('class="table activity-table"')[-1] if shown else ""
    assert [words for words in shown if words not in table] == []


def test_the_csv_has_the_filtered_entries_and_is_one_entry_itself(app, login, quiet_label):
    assert export_entries(app, quiet_label) == []
    answer = login(OPERATOR).get(f"/activity/activity.csv?label={quiet_label}&kind=artist"
                                 "&to=2026-06-30")
    rows = rows_of(answer)
    assert [(r["When (UTC)"], r["Action"], r["Who"], r["Role"], r["What"]) for r in rows] == [
        ("2026-02-20T12:00:00+00:00", "artist.changed", "quiet@label.test", "Label Admin",
         "quiet@label.test changed the artist “Sea Glass”"),
        ("2026-01-10T12:00:00+00:00", "artist.changed", "quiet@label.test", "Label Admin",
         "quiet@label.test changed the artist “Sea Glass”")]
    assert {r["Label"] for r in rows} == {r["Label"] for r in rows[:1]} and \
        rows[0]["Label"].startswith("Quiet ")
    assert rows[0]["Object"] == "artist #1: Sea Glass" and rows[0]["How"] == "web"
    [entry] = export_entries(app, quiet_label)
    assert entry.detail == {"rows": 2, "filters": {"label": str(quiet_label), "kind": "artist",
                                                   "to": "2026-06-30"}}
    assert entry.actor_name == OPERATOR and entry.actor_user_id == user_id(app, OPERATOR)


def test_the_csv_of_staff_has_only_their_own_entries(app, login, archived_by_hand):
    staff_id = user_id(app, STAFF)
    rows = rows_of(login(STAFF).get(f"/activity/activity.csv?person={user_id(app, OWNER)}"))
    assert rows and {r["Who"] for r in rows} == {STAFF}
    assert any(r["What"] == f"{STAFF} archived “{archived_by_hand[STAFF]}”" for r in rows)
    with app.app_context(), scoped(Scope.platform("test")):
        last = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "export.activity", AuditEntry.actor_user_id == staff_id)
            .order_by(AuditEntry.id.desc())).first()
    assert last.detail["rows"] == len(rows) and last.detail["filters"]["person"] == str(staff_id)


def test_changes_read_as_before_and_after_with_masked_values_hidden(app, login, quiet_label):
    with app.app_context(), scoped(Scope.label(quiet_label, actor="quiet@label.test",
                                               user_id=900_001, role="Label Admin")):
        entry = AuditEntry(label_id=quiet_label, at=now_utc(), actor_kind="user",
                           actor_user_id=900_001, actor_name="quiet@label.test",
                           action="user.changed", object_type="user", object_id=7,
                           object_name="new@label.test",
                           changes={"password": ["••••", "••••"], "active": [True, False]})
        db.session.add(entry)
        db.session.commit()
    page = login(OPERATOR).get(f"/activity/?label={quiet_label}&kind=user").text
    assert "password</span>: <span class=\"change-before\">hidden</span>" in page
    assert "••••" not in page
    rows = rows_of(login(OPERATOR).get(f"/activity/activity.csv?label={quiet_label}&kind=user"))
    assert "password: hidden → hidden; active: yes → no" in [r["Changes"] for r in rows]


BAD_QUERIES = ["person=abc", "person=99999999999999999999", "person=-1", "kind=<script>",
               "kind=" + "a" * 300, "from=2026-13-01", "from=yesterday", "to=9999-12-31",
               "from=2026-03-01&to=2026-02-01", "label=abc", "label=2147483647",
               "page=0", "page=abc", "page=99999999999", "from=2026-02-30", "page=²",
               "person=²", "label=²", "from=２０２６-０１-０１", "kind=release.%25"]


@pytest.mark.parametrize("email", [OWNER, STAFF, OPERATOR])
def test_bad_filters_are_left_out_with_a_message_never_a_500(app, login, email):
    client = login(email)
    for query in BAD_QUERIES:
        page = client.get(f"/activity/?{query}")
        assert page.status_code in (200, 400), (query, page.status_code)
        if email == OPERATOR or not query.startswith(("person", "label")):
            assert page.status_code == 400 and "Some filters were left out" in page.text, query
        download = client.get(f"/activity/activity.csv?{query}")
        assert download.status_code in (200, 400), (query, download.status_code)


def test_a_csv_with_a_bad_filter_is_refused_and_not_recorded(app, login, quiet_label):
    answer = login(OPERATOR).get(f"/activity/activity.csv?label={quiet_label}&from=someday")
    assert answer.status_code == 400 and "The CSV was not made" in answer.text
    assert export_entries(app, quiet_label) == []


def test_far_pages_and_empty_days_read_as_words(app, login, quiet_label):
    operator = login(OPERATOR)
    assert "Nothing here" in operator.get(f"/activity/?label={quiet_label}&page=40").text
    page = operator.get(f"/activity/?label={quiet_label}&from=2026-03-01&to=2026-03-31").text
    assert "No entries" in page and "Download CSV" not in page


@pytest.mark.parametrize("path", ["/activity/", "/activity/activity.csv"])
def test_artists_cannot_open_the_activity(login, path):
    answer = login(ARTIST).get(path)
    assert answer.status_code == 403 or "/login" in answer.headers.get("Location", "")


def test_a_release_page_tells_its_history_from_the_trail_and_from_before_it(app, login, unique):
    title = unique("History")
    release_id, _ = new_release(app, "aurora-vale", title=title)
    long_ago = now_utc() - timedelta(days=400)
    with app.app_context(), scoped(Scope.platform("test")):
        release = db.session.get(Release, release_id)
        db.session.add(ReleaseStatusChange(
            release=release, label_id=release.label_id, artist_id=release.artist_id,
            from_status="draft", to_status="announced", actor="old-importer", at=long_ago))
        db.session.commit()
    owner = login(OWNER)
    assert owner.post(f"/releases/archive/{release_id}").status_code == 302
    page = owner.get(f"/releases/show/{release_id}").text
    history = page[page.index('id="history"'):]
    lines = history.split("<tr>")[2:]  # after the header
    assert "Archived" in lines[0] and OWNER in lines[0] and "Label Admin" in lines[0]
    assert "Archived</span>" in lines[0]  # the status change, before → after
    assert "Moved from Draft to Announced" in lines[-1] and "old-importer" in lines[-1]
    assert long_ago.strftime("%d %b %Y") in lines[-1] or \
        long_ago.strftime("%Y-%m-%d") in lines[-1]
    with app.app_context(), scoped(Scope.platform("test")):
        statuses = db.session.scalar(select(func.count(ReleaseStatusChange.id)).where(
            ReleaseStatusChange.release_id == release_id))
    # every status line written with an entry shows once, as the entry: the two of
    # new_release (announced, opened by the clock) and the archive
    assert statuses == 4 and history.count("Moved from") == 1
