"""The Automations pages: each artist's automations with their defaults, turned off or
reworded by staff (checked before anything is stored), and what that changes for fans."""
import pytest
from sqlalchemy import delete, select

from app.models import Artist, Automation
from tests.message_runs import ledger, time_passes, work
from tests.release_day_runs import ctx, remind_me


@pytest.fixture(autouse=True)
def defaults_again(app):
    """Each test's changes go afterwards: other modules count on the defaults."""
    yield
    with ctx(app) as session:
        session.execute(delete(Automation))
        session.commit()


def artist_id(app, slug="aurora-vale"):
    with ctx(app) as session:
        return session.scalar(select(Artist.id).where(Artist.slug == slug))


def form(**changes):
    data = {"enabled": "y", "delay": "5", "subject": "Thanks, {fan_first_name}!",
            "body": "Hi {fan_first_name}, “{release_title}” is on its way: {fan_page_url}",
            "sms_body": ""}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def stored(app, artist, kind="thank_you"):
    with ctx(app) as session:
        row = session.scalars(select(Automation).where(Automation.artist_id == artist,
                                                       Automation.kind == kind)).first()
        if row is not None:
            session.expunge(row)
        return row


def test_the_list_shows_every_artist_with_the_defaults(login):
    page = login("staff@northwind.test").get("/automations/").get_data(as_text=True)
    assert "Aurora Vale" in page and "Thank you" in page and "after 5 minutes" in page
    assert "Follow-up" in page and "after 7 days" in page
    assert "Harbor" not in page


def test_staff_reword_the_thank_you_and_fans_get_the_new_words(app, login, smtp_server,
                                                              active_release):
    inbox = smtp_server()
    slug = active_release()
    artist = artist_id(app)
    email = remind_me(app, slug)  # queued before the change: it goes with the new words
    staff = login("staff@northwind.test")
    page = staff.get(f"/automations/{artist}/thank_you")
    assert page.status_code == 200 and "{fan_first_name}" in page.get_data(as_text=True)
    done = staff.post(f"/automations/{artist}/thank_you", data=form())
    assert done.status_code == 302
    time_passes(app, slug)
    work(app)
    (message,) = inbox.to(email)
    assert message["Subject"] == "Thanks, !"  # no name given: the field is blank
    assert "“Flow Song” is on its way" in message.get_body(("plain",)).get_content()
    staff.post(f"/automations/{artist}/thank_you", data=form(enabled=None))  # turned off
    later = active_release()
    remind_me(app, later)
    assert stored(app, artist).enabled is False
    assert ledger(app, later) == []


def test_words_changed_after_fans_got_them_stay_in_the_history_as_sent(
        app, login, smtp_server, active_release):
    inbox = smtp_server()
    slug = active_release()
    artist = artist_id(app)
    first = remind_me(app, slug)
    time_passes(app, slug)
    work(app)  # the default thank-you went to the first fan
    (got,) = inbox.to(first)
    waiting = remind_me(app, slug)  # queued, not sent yet
    staff = login("staff@northwind.test")
    assert staff.post(f"/automations/{artist}/thank_you", data=form(
        subject="New words, {fan_first_name}")).status_code == 302
    time_passes(app, slug)
    work(app)
    assert inbox.to(first) == [got]
    (later,) = inbox.to(waiting)
    assert later["Subject"] == "New words,"  # no name given: the field is blank
    rows = ledger(app, slug)
    assert {row.message.subject: row.state for row in rows} == {
        "You pre-saved “{release_title}” by {artist_name}": "sent",
        "New words, {fan_first_name}": "sent"}
    old, new = sorted({row.message_id for row in rows})
    old_page = staff.get(f"/messages/{old}").get_data(as_text=True)
    assert "words until" in old_page and "You pre-saved “{release_title}”" in old_page
    assert first in old_page and waiting not in old_page
    new_page = staff.get(f"/messages/{new}").get_data(as_text=True)
    assert "New words, {fan_first_name}" in new_page and waiting in new_page


def test_a_template_that_does_not_read_is_refused_and_nothing_is_stored(app, login):
    artist = artist_id(app, "juniper-kites")
    staff = login("staff@northwind.test")
    before = stored(app, artist, "follow_up")
    for bad, words in (({"body": "Hi {fan_frist_name}"}, "Unknown merge field: {fan_frist_name}"),
                       ({"subject": "{release_title.__class__}"}, None),
                       ({"body": "Hi {"}, "cannot be read"),
                       ({"subject": ""}, "Give the email a subject"),
                       ({"delay": "-1"}, "whole number"),
                       ({"delay": "x"}, None)):
        answer = staff.post(f"/automations/{artist}/follow_up", data=form(**bad))
        assert answer.status_code == 422, bad
        if words:
            assert words in answer.get_data(as_text=True), bad
    assert stored(app, artist, "follow_up") == before


def test_follow_up_waits_in_days(app, login):
    artist = artist_id(app)
    staff = login("staff@northwind.test")
    assert staff.post(f"/automations/{artist}/follow_up",
                      data=form(delay="3")).status_code == 302
    assert stored(app, artist, "follow_up").delay_minutes == 3 * 24 * 60
    assert "after 3 days" in staff.get("/automations/").get_data(as_text=True)


def test_other_labels_and_artist_users_cannot_touch_them(app, login):
    artist = artist_id(app)
    harbor = login("staff@harbor.test")
    assert harbor.get(f"/automations/{artist}/thank_you").status_code == 404
    assert harbor.post(f"/automations/{artist}/thank_you", data=form()).status_code == 404
    assert login("staff@northwind.test").get(f"/automations/{artist}/nope").status_code == 404
    artist_user = login("artist@northwind.test")
    assert artist_user.get("/automations/").status_code in (302, 403)
    assert artist_user.post(f"/automations/{artist}/thank_you",
                            data=form()).status_code in (302, 403)
