"""The audit trail: each audited action writes exactly one entry, with its actor, label and
masked before/after, in the action's own transaction; a failed action writes none; entries
cannot be changed or deleted, not even with SQL."""
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app import audit
from app.extensions import db
from app.localtime import now_utc
from app.models import AuditEntry, Fan, Label, PlatformCredential, PresaveUser, Release
from app.models.audit import AppendOnly
from app.tenants.context import Scope, scoped
from tests.audit_entries import entries_after, last_id, northwind, user_id
from tests.own_label import new_release

OWNER, STAFF, ARTIST = "owner@northwind.test", "staff@northwind.test", "artist@northwind.test"


def only(found, action):
    matching = [entry for entry in found if entry.action == action]
    assert len(matching) == 1, [(e.action, e.object_name) for e in found]
    return matching[0]


def test_an_edit_through_the_admin_is_one_entry_with_what_changed(app, login, unique):
    release_id, _ = new_release(app, "aurora-vale", title="Before Title")
    staff = login(STAFF)
    start = last_id(app)
    form = {"title": "After Title", "kind": "single", "isrc": "", "upc": "",
            "platforms": ["spotify", "deezer"]}
    assert staff.post(f"/releases/edit/{release_id}", data=form).status_code == 302
    entry = only(entries_after(app, start), "release.changed")
    assert (entry.object_type, entry.object_id, entry.object_name) == (
        "release", release_id, "After Title")
    assert entry.changes == {"title": ["Before Title", "After Title"],
                             "slug": [entry.changes["slug"][0], "after-title"]}
    assert (entry.actor_kind, entry.actor_name, entry.actor_role, entry.actor_user_id) == (
        "user", STAFF, "Label Staff", user_id(app, STAFF))
    assert entry.label_id == northwind(app)
    assert len(entries_after(app, start)) == 1


def test_named_actions_take_their_changes_and_a_refused_one_writes_nothing(app, login):
    release_id, _ = new_release(app, "aurora-vale")
    owner = login(OWNER)
    start = last_id(app)
    assert owner.post(f"/releases/archive/{release_id}").status_code == 302
    entry = only(entries_after(app, start), "release.archived")
    assert entry.changes["status"] == ["presave_active", "archived"]
    assert entry.actor_role == "Label Admin"
    start = last_id(app)
    assert owner.post(f"/releases/archive/{release_id}").status_code == 302  # already archived
    assert entries_after(app, start) == []


def test_dates_that_cannot_be_kept_write_no_entry(app, login):
    release_id, _ = new_release(app, "aurora-vale")
    staff = login(STAFF)
    start = last_id(app)
    refused = staff.post(f"/releases/change_dates/{release_id}", data={
        "presave_opens_local": "2030-01-02T10:00", "release_local": "2030-01-01T10:00",
        "timezone": "UTC", "release_mode": "global"})
    assert refused.status_code == 422
    assert entries_after(app, start) == []
    with app.app_context(), scoped(Scope.platform("test")):
        assert db.session.get(Release, release_id).status == "presave_active"


def test_the_api_is_named_as_the_way_in(app, api, unique):
    client, headers = api(STAFF)
    start = last_id(app)
    created = client.post("/api/v1/artists/", headers=headers,
                          json={"name": "Trail Artist", "slug": unique("trail")})
    assert created.status_code == 201
    pk = created.get_json()["id"]
    assert client.put(f"/api/v1/artists/{pk}", headers=headers,
                      json={"bio": "New bio"}).status_code == 200
    assert client.delete(f"/api/v1/artists/{pk}", headers=headers).status_code == 200
    found = [e for e in entries_after(app, start) if e.object_type == "artist"]
    assert [e.action for e in found] == ["artist.created", "artist.changed", "artist.deleted"]
    assert {(e.actor_kind, e.actor_name, e.object_id) for e in found} == {("api", STAFF, pk)}
    assert found[0].changes["name"] == [None, "Trail Artist"]
    assert found[1].changes == {"bio": [None, "New bio"]}
    assert found[2].changes["name"] == ["Trail Artist", None]


def test_a_long_text_is_kept_as_its_start_and_its_length(app, api, unique):
    client, headers = api(STAFF)
    created = client.post("/api/v1/artists/", headers=headers,
                          json={"name": "Long Bio", "slug": unique("long")})
    pk = created.get_json()["id"]
    start = last_id(app)
    bio = "la " * 60_000
    assert client.put(f"/api/v1/artists/{pk}", headers=headers,
                      json={"bio": bio}).status_code == 200
    (entry,) = [e for e in entries_after(app, start) if e.object_type == "artist"]
    assert entry.changes["bio"] == [None, bio[:2000] + "… (180,000 characters)"]
    client.delete(f"/api/v1/artists/{pk}", headers=headers)


def test_secrets_never_reach_the_trail(app, login):
    owner = login(OWNER)
    label_id = northwind(app)
    start = last_id(app)
    assert owner.post("/credentials/add", data={
        "label": str(label_id), "platform": "tidal", "client_id": "trail-client",
        "client_secret": "trail-s3cret", "extra_secret": ""}).status_code == 302
    with app.app_context(), scoped(Scope.label(label_id)):
        pk = db.session.scalars(select(PlatformCredential.id).where(
            PlatformCredential.client_id == "trail-client")).one()
    tested = owner.post(f"/credentials/test/{pk}")
    assert tested.status_code == 200
    assert owner.post(f"/credentials/delete/{pk}").status_code == 302
    found = entries_after(app, start, object_type="credentials")
    assert [e.action for e in found] == ["credentials.created", "credentials.tested",
                                         "credentials.deleted"]
    assert found[0].changes["client_secret"] == [None, "••••"]
    assert found[1].detail["outcome"]
    with app.app_context(), scoped(Scope.platform("test")):
        raw = db.session.execute(text("SELECT changes, detail FROM audit_entry WHERE id > :s"),
                                 {"s": start}).all()
    assert "trail-s3cret" not in json.dumps([list(map(str, row)) for row in raw])


def test_users_invited_changed_and_disabled_with_their_personal_data_masked(app, login, unique):
    owner = login(OWNER)
    email = f"{unique('invitee')}@mail.northwind-records.com"  # a deliverable-looking address
    start = last_id(app)
    form = {"first_name": "Ina", "last_name": "Vitee", "email": email, "role": "Label Staff",
            "label_id": str(northwind(app)), "artist_id": ""}
    added = owner.post("/label-users/add", data=form)
    assert added.status_code == 302, re.findall(r'(?s)alert.{0,300}|has-error.{0,600}',
                                                added.get_data(as_text=True))
    invited = only(entries_after(app, start), "user.invited")
    assert invited.changes["email"] == [None, "••••"] and email not in json.dumps(invited.changes)
    assert invited.changes["roles"] == [None, ["Label Staff"]]
    pk = invited.object_id
    start = last_id(app)
    # the unticked "active" checkbox is not sent
    assert owner.post(f"/label-users/edit/{pk}",
                      data={**form, "role": "Label Admin"}).status_code == 302
    changed = only(entries_after(app, start), "user.changed")
    assert changed.changes["roles"] == [["Label Staff"], ["Label Admin"]]
    assert changed.changes["active"] == [True, False]
    assert "first_name" not in changed.changes  # unchanged fields stay out


def test_sign_ins_and_failures_keep_a_hashed_address_and_no_typed_name(app, client):
    start = last_id(app)
    client.post("/login/", data={"username": OWNER, "password": "wrong"})
    client.post("/login/", data={"username": "nobody-typed-this@x.test", "password": "x"})
    client.post("/login/", data={"username": OWNER, "password": "demo-owner"})
    found = entries_after(app, start)
    failed = [e for e in found if e.action == "user.sign_in_failed"]
    assert [e.detail["reason"] for e in failed] == ["wrong password", "no such account"]
    assert failed[0].actor_name == OWNER and failed[0].label_id == northwind(app)
    assert failed[1].actor_name == "unknown account" and failed[1].label_id is None
    signed_in = only(found, "user.signed_in")
    assert signed_in.actor_user_id == user_id(app, OWNER)
    for entry in failed + [signed_in]:
        assert re.fullmatch(r"[0-9a-f]{64}", entry.detail["client"])
    text_of = json.dumps([[e.detail, e.changes, e.object_name] for e in found])
    assert "127.0.0.1" not in text_of and "nobody-typed-this" not in text_of


def test_an_export_is_one_entry_with_its_row_count(app, login):
    staff = login(STAFF)
    start = last_id(app)
    answer = staff.get("/analytics/fans.csv")
    assert answer.status_code == 200
    rows = answer.get_data(as_text=True).count("\r\n") - 1
    entry = only(entries_after(app, start), "export.fans")
    assert entry.detail["rows"] == rows and entry.label_id == northwind(app)


def test_staff_erase_a_fan_with_a_reason(app, login, unique):
    with app.app_context(), scoped(Scope.platform("test")):
        artist = db.session.scalars(select(Release.artist_id).limit(1)).first()
        fan = Fan(artist_id=artist, email=f"{unique('gone')}@fans.test", name="Gone Soon")
        db.session.add(fan)
        db.session.commit()
        fan_id = fan.id
    assert login(STAFF).post(f"/fans/erase/{fan_id}", data={"reason": "asked"}).status_code \
        in (302, 403)
    owner = login(OWNER)
    start = last_id(app)
    refused = owner.post(f"/fans/erase/{fan_id}", data={"reason": " "})
    assert refused.status_code == 422 and "Say why" in refused.get_data(as_text=True)
    for contact in ("jane@fans.example asked", "rang from +44 7700 900123"):
        refused = owner.post(f"/fans/erase/{fan_id}", data={"reason": contact})
        assert refused.status_code == 422 and "out of the reason" in refused.get_data(as_text=True)
    assert entries_after(app, start) == []
    assert owner.post(f"/fans/erase/{fan_id}",
                      data={"reason": "Asked by email on 3 March"}).status_code == 302
    entry = only(entries_after(app, start), "fan.erased")
    assert entry.detail["reason"] == "Erased by staff: Asked by email on 3 March"
    assert (entry.object_id, entry.actor_name) == (fan_id, OWNER)
    with app.app_context(), scoped(Scope.platform("test")):
        erased = db.session.get(Fan, fan_id)
        assert erased.erased_at is not None and erased.email is None
    assert "Gone Soon" not in json.dumps([entry.object_name, entry.detail])


def test_the_command_line_is_named(app):
    release_id, _ = new_release(app, "aurora-vale")
    start = last_id(app)
    result = app.test_cli_runner().invoke(args=["release", "run-day", "--now", str(release_id)])
    assert result.exit_code == 0, result.output
    entry = only(entries_after(app, start), "release.released_now")
    assert (entry.actor_kind, entry.actor_name) == ("cli", "cli:release run-day")


def _entry(app, at, label_id=None):
    with app.app_context(), scoped(Scope.platform("test")):
        db.session.execute(AuditEntry.__table__.insert().values(
            at=at, label_id=label_id, actor_kind="system", actor_name="test", action="test.kept"))
        db.session.commit()
        return db.session.scalar(select(db.func.max(AuditEntry.id)))


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entry SET action = 'test.changed' WHERE id = :id",
    "DELETE FROM audit_entry WHERE id = :id",
])
def test_sql_cannot_change_or_delete_an_entry(app, statement):
    pk = _entry(app, now_utc() - timedelta(days=300))
    with app.app_context(), scoped(Scope.platform("test")):
        with pytest.raises(DBAPIError, match="audit entries cannot be changed"):
            db.session.execute(text(statement), {"id": pk})
        db.session.rollback()
        assert db.session.get(AuditEntry, pk).action == "test.kept"


@pytest.mark.parametrize("change", ["update", "delete"])
def test_the_orm_cannot_change_an_entry_either(app, change):
    label_id = northwind(app)
    pk = _entry(app, now_utc() - timedelta(days=400), label_id)
    with app.app_context(), scoped(Scope.label(label_id)):
        entry = db.session.get(AuditEntry, pk)
        if change == "update":
            entry.action = "test.changed"
        else:
            db.session.delete(entry)
        with pytest.raises(AppendOnly):
            db.session.commit()
        db.session.rollback()
        assert db.session.get(AuditEntry, pk).action == "test.kept"


def test_an_entry_past_a_year_may_go(app):
    pk = _entry(app, now_utc() - timedelta(days=400))
    with app.app_context(), scoped(Scope.platform("test")):
        db.session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": pk})
        db.session.commit()
        assert db.session.get(AuditEntry, pk) is None


def test_no_view_or_api_writes_entries(app, login, api):
    owner = login("admin@presave.test")
    client, headers = api("admin@presave.test")
    assert client.post("/api/v1/auditentry/", headers=headers, json={}).status_code == 404
    assert owner.post("/auditentry/delete/1").status_code == 404


def test_a_deleted_user_s_id_is_never_given_again(app, unique):
    """A new colleague would read a former one's entries as their own."""
    label_id = northwind(app)

    def user(tag):
        return PresaveUser(first_name="Gone", last_name="Soon", username=f"{tag}@x.test",
                           email=f"{tag}@x.test", active=True, label_id=label_id)
    with app.app_context(), scoped(Scope.platform("test")):
        gone = user(unique("gone"))
        db.session.add(gone)
        db.session.commit()
        gone_id = gone.id
        db.session.delete(gone)
        db.session.commit()
        new = user(unique("new"))
        db.session.add(new)
        db.session.commit()
        assert new.id > gone_id
        db.session.delete(new)
        db.session.commit()


def test_a_search_in_an_export_is_kept_only_as_a_search(app, login):
    release_id, _ = new_release(app, "aurora-vale")
    staff = login(STAFF)
    start = last_id(app)
    answer = staff.get(f"/releases/{release_id}/deliveries.csv?q=jane.doe@example.com"
                       "&state=failed&%3Cx%3E=1")
    assert answer.status_code == 200
    entry = only(entries_after(app, start), "export.deliveries")
    assert entry.detail["filters"] == {"q": "(a search)", "state": "failed"}


def test_a_deleted_label_s_id_is_never_given_again(app):
    """Its entries outlive it: a new label with its id would read them."""
    with app.app_context(), scoped(Scope.platform("test")):
        gone = Label(name=f"Gone {last_id(app)}", slug=f"gone-{last_id(app)}", timezone="UTC")
        db.session.add(gone)
        db.session.commit()
        gone_id = gone.id
        db.session.delete(gone)
        db.session.commit()
        assert only(entries_after(app, 0, object_type="label", object_id=gone_id),
                    "label.deleted").label_id == gone_id
        new = Label(name=f"New {gone_id}", slug=f"new-{gone_id}", timezone="UTC")
        db.session.add(new)
        db.session.commit()
        assert new.id > gone_id
        db.session.delete(new)
        db.session.commit()


def test_a_savepoint_rolled_back_takes_its_entries_back(app):
    release_id, _ = new_release(app, "aurora-vale", title="SP Before")
    start = last_id(app)
    with app.app_context(), scoped(Scope.platform("test")):
        release = db.session.get(Release, release_id)
        release.headline = "Kept"
        db.session.flush()
        savepoint = db.session.begin_nested()
        release.title = "SP Rolled Back"
        db.session.flush()
        savepoint.rollback()
        db.session.commit()
    entry = only(entries_after(app, start), "release.changed")
    assert entry.changes == {"headline": [None, "Kept"]}


def test_a_savepoint_released_is_written_with_its_transaction_as_one_entry(app):
    release_id, _ = new_release(app, "aurora-vale")
    start = last_id(app)
    with app.app_context(), scoped(Scope.platform("test")):
        release = db.session.get(Release, release_id)
        with db.session.begin_nested():
            audit.record("release.archived", release)
            release.status = "archived"
        release.headline = "After the savepoint"
        db.session.commit()
    entry = only(entries_after(app, start), "release.archived")
    assert set(entry.changes) == {"status", "headline"}
    assert len(entries_after(app, start)) == 1


def test_a_record_rolled_back_before_any_sql_is_gone(app):
    start = last_id(app)
    with app.app_context(), scoped(Scope.platform("test")):
        audit.record("export.fans", label_id=None, detail={"rows": 1})
        db.session.rollback()
        db.session.commit()
    assert entries_after(app, start) == []


def test_rows_made_in_one_flush_get_ids_of_their_own(app, unique):
    """Each new audited row takes an id past the trail's: two in one flush, two ids."""
    with app.app_context(), scoped(Scope.platform("test")):
        labels = [Label(name=unique("Twin"), slug=unique("twin"), timezone="UTC")
                  for _ in range(3)]
        db.session.add_all(labels)
        db.session.commit()
        assert len({label.id for label in labels}) == 3
        for label in labels:
            db.session.delete(label)
        db.session.commit()
