"""The Messages pages: what went to fans, per message and per recipient, only within the label,
and the counts on the release's page."""
import csv
import io

from sqlalchemy import select

from app.models import Message, Release
from tests.message_runs import follow, ledger, time_passes, tracked_links, work
from tests.release_day_runs import ctx, remind_me


def sent_thank_you(app, smtp_server, active_release):
    """A fan reminded of a new release got its thank-you and opened its link; (slug, email,
    message id)."""
    inbox = smtp_server()
    slug = active_release()
    email = remind_me(app, slug)
    time_passes(app, slug)
    work(app)
    (row,) = ledger(app, slug)
    (link,) = tracked_links(inbox.to(email)[0].get_body(("plain",)).get_content())
    follow(app, link)
    return slug, email, row.message_id


def test_staff_see_each_message_with_its_recipients_and_csv(app, login, smtp_server,
                                                            active_release):
    slug, email, message_id = sent_thank_you(app, smtp_server, active_release)
    staff = login("staff@northwind.test")
    listing = staff.get("/messages/").get_data(as_text=True)
    assert "Thank you · Flow Song" in listing and "1 sent" in listing
    assert "1</strong> clicked a link" in listing
    page = staff.get(f"/messages/{message_id}").get_data(as_text=True)
    assert email in page and "You pre-saved “{release_title}” by {artist_name}" in page
    assert staff.get(f"/messages/{message_id}?state=sent").get_data(as_text=True).count(email) == 1
    assert email not in staff.get(f"/messages/{message_id}?state=failed").get_data(as_text=True)
    download = staff.get(f"/messages/{message_id}/recipients.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    (entry,) = csv.DictReader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff")))
    assert (entry["Address"], entry["Channel"], entry["State"], entry["Clicks"]) == (
        email, "email", "Sent", "1")
    assert 'data-count="clicked">1<' in page
    for bad in ("?state=nope", "?page=0", "?page=x", "?page=99999999999"):
        assert staff.get(f"/messages/{message_id}{bad}").status_code == 400, bad
    assert "Stop this blast" not in page
    refused = staff.post(f"/messages/{message_id}/stop")
    assert refused.status_code == 400
    assert "turned off on the Automations page" in refused.get_data(as_text=True)


def test_another_label_and_artist_users_see_none_of_it(app, login, smtp_server, active_release):
    slug, email, message_id = sent_thank_you(app, smtp_server, active_release)
    harbor = login("staff@harbor.test")
    assert "Flow Song" not in harbor.get("/messages/").get_data(as_text=True)
    assert harbor.get(f"/messages/{message_id}").status_code == 404
    assert harbor.get(f"/messages/{message_id}/recipients.csv").status_code == 404
    artist = login("artist@northwind.test")
    assert artist.get("/messages/").status_code in (302, 403)
    assert artist.get(f"/messages/{message_id}/recipients.csv").status_code in (302, 403)


def test_the_release_page_counts_its_messages(app, login, smtp_server, active_release):
    slug, email, message_id = sent_thank_you(app, smtp_server, active_release)
    with ctx(app) as session:
        release_id = session.scalar(select(Release.id).where(Release.slug == slug))
        assert session.get(Message, message_id).release_id == release_id
    staff_page = login("staff@northwind.test").get(f"/releases/show/{release_id}")
    html = staff_page.get_data(as_text=True)
    assert "Messages to fans" in html and f'href="/messages/{message_id}"' in html
    assert "1 sent" in html
    artist_html = login("artist@northwind.test").get(f"/releases/show/{release_id}").get_data(
        as_text=True)
    assert "1 sent" in artist_html and f'href="/messages/{message_id}"' not in artist_html
    assert email not in artist_html


def test_an_id_no_row_can_have_is_a_404(login):
    staff = login("staff@northwind.test")
    for path in ("/messages/99999999999", "/messages/99999999999/recipients.csv",
                 "/automations/99999999999/thank_you"):
        assert staff.get(path).status_code == 404, path


def test_the_messages_list_pages_and_filters_by_kind(app, login):
    from sqlalchemy import func

    from app.messaging import ledger
    from app.models import Artist
    from app.models.message import BLAST

    with ctx(app) as session:
        artist = session.scalars(select(Artist).where(Artist.slug == "aurora-vale")).one()
        made = [Message(label_id=artist.label_id, artist_id=artist.id, kind=BLAST,
                        name=f"Paged blast {i:02d}", subject="Hi", body="Hi", channels="email")
                for i in range(ledger.PAGE_SIZE + 3)]
        session.add_all(made)
        session.commit()
        blasts = session.scalar(select(func.count()).select_from(Message).where(
            Message.kind == BLAST, Message.label_id == artist.label_id))
    staff = login("staff@northwind.test")
    first = staff.get("/messages/?kind=blast").get_data(as_text=True)
    assert f"Paged blast {ledger.PAGE_SIZE + 2:02d}" in first and "Paged blast 00" not in first
    assert "Thank you · " not in first and 'aria-current="page">Blasts<' in first
    assert "Older" in first and "Newer" not in first
    last_page = -(-blasts // ledger.PAGE_SIZE)
    last = staff.get(f"/messages/?kind=blast&page={last_page}").get_data(as_text=True)
    assert "Newer" in last and "Older" not in last
    assert "Paged blast 00" in staff.get("/messages/?kind=blast&page=2").get_data(as_text=True) \
        or "Paged blast 00" in last
    assert "No message here" in staff.get("/messages/?kind=blast&page=9999").get_data(
        as_text=True)
    for bad in ("?kind=spam", "?page=0", "?page=-1", "?kind=blast&page=x"):
        assert staff.get(f"/messages/{bad}").status_code == 400, bad
    harbor = login("staff@harbor.test").get("/messages/?kind=blast").get_data(as_text=True)
    assert "Paged blast" not in harbor

