"""Blasts through the admin: a segment counted, previewed with a real fan's values, tested on
the sender, then sent to exactly its fans (checked against a query of our own) and no fan of
another artist or label; scheduled in a zone; refused with reasons when it cannot go."""
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update

from app.localtime import now_utc
from app.models import Artist, Consent, Fan, Message, MessageRecipient, PreSave, Release
from tests.message_runs import blast_form, make_fan, work
from tests.release_day_runs import ctx


def expected(app, city, channel, artist_slug=None, release_slug=None):
    """The fans the segment should reach, by a query of the test's own."""
    with ctx(app) as session:
        stmt = (select(Fan.id).join(Consent, Consent.fan_id == Fan.id)
                .where(Fan.city == city, Consent.purpose == f"{channel}_marketing",
                       Consent.withdrawn_at.is_(None), Fan.erased_at.is_(None),
                       (Fan.email if channel == "email" else Fan.phone).is_not(None)))
        if artist_slug:
            stmt = stmt.join(Artist, Artist.id == Fan.artist_id).where(Artist.slug == artist_slug)
        if release_slug:
            stmt = stmt.where(Fan.id.in_(select(PreSave.fan_id).join(
                Release, Release.id == PreSave.release_id).where(Release.slug == release_slug)))
        return set(session.scalars(stmt))


def recipients(app, message_id):
    with ctx(app) as session:
        return {(row.fan_id, row.channel, row.label_id) for row in session.scalars(
            select(MessageRecipient).where(MessageRecipient.message_id == message_id))}


def test_a_blast_reaches_exactly_its_segment_and_nobody_elses(app, login, smtp_server,
                                                              active_release):
    inbox = smtp_server()
    city = f"Vík-{uuid.uuid4().hex[:6]}"
    slug = active_release()
    ours = [make_fan(app, "aurora-vale", city, marketing=("email",), presave_on=slug),
            make_fan(app, "aurora-vale", city, marketing=("email", "sms"), phone=True,
                     presave_on=slug)]
    make_fan(app, "aurora-vale", city, marketing=("email",))  # did not pre-save the release
    make_fan(app, "aurora-vale", city, presave_on=slug)  # no marketing consent
    make_fan(app, "aurora-vale", "Elsewhere", marketing=("email",), presave_on=slug)
    harbor_artist = _harbor_artist(app)
    make_fan(app, harbor_artist, city, marketing=("email",))  # another label
    staff = login("staff@northwind.test")
    with ctx(app) as session:
        release_id = session.scalar(select(Release.id).where(Release.slug == slug))
    form = blast_form(city=city, release=str(release_id), artist="")
    preview = staff.post("/blasts/new", data=form)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert f'data-count="fans">{len(ours)}<' in html
    assert "As Sól Jónsdóttir reads it" in html and "Hi Sól, Aurora Vale plays Reykjavík" in html
    test = staff.post("/blasts/new", data={**form, "action": "test"})
    assert "A test went to staff@northwind.test" in test.get_data(as_text=True)
    (tested,) = inbox.to("staff@northwind.test")[-1:]
    assert tested["Subject"] == "[Test] On tour, Sól"
    sent = staff.post("/blasts/new", data={**form, "action": "send"})
    assert sent.status_code == 302
    message_id = int(sent.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    got = recipients(app, message_id)
    assert {fan for fan, _, _ in got} == expected(app, city, "email", release_slug=slug) \
        == set(ours)
    assert {label for _, _, label in got} == {_label_of(app, "aurora-vale")}
    work(app)
    with ctx(app) as session:
        emails = dict(session.execute(select(Fan.id, Fan.email).where(Fan.city == city)).all())
    for fan_id, email in emails.items():
        assert len(inbox.to(email)) == (1 if fan_id in ours else 0), email


def test_sms_and_email_together_with_the_artist_chosen(app, login, smtp_server):
    smtp_server()
    city = f"Höfn-{uuid.uuid4().hex[:6]}"
    both = make_fan(app, "aurora-vale", city, phone=True, marketing=("email", "sms"))
    texts_only = make_fan(app, "aurora-vale", city, email=False, phone=True, marketing=("sms",))
    make_fan(app, "juniper-kites", city, marketing=("email",))  # the label's other artist
    staff = login("staff@northwind.test")
    artist = str(_artist_id(app, "aurora-vale"))
    form = blast_form(city=city, artist=artist, by_sms="y", sms_body="{artist_name} on tour!")
    html = staff.post("/blasts/new", data=form).get_data(as_text=True)
    assert 'data-count="email">1<' in html and 'data-count="sms">2<' in html
    assert 'data-count="fans">2<' in html
    assert "Reply STOP to opt out." in html and "GSM-7" in html
    sent = staff.post("/blasts/new", data={**form, "action": "send"})
    message_id = int(sent.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    assert {(fan, channel) for fan, channel, _ in recipients(app, message_id)} == {
        (both, "email"), (both, "sms"), (texts_only, "sms")}


def test_a_blast_at_a_time_waits_for_it_in_its_zone(app, login):
    city = f"Akureyri-{uuid.uuid4().hex[:6]}"
    make_fan(app, "aurora-vale", city, marketing=("email",))
    staff = login("staff@northwind.test")
    local = (now_utc() + timedelta(days=2)).astimezone().replace(tzinfo=None)
    local = datetime(local.year, local.month, local.day, 18, 30)
    sent = staff.post("/blasts/new", data=blast_form(
        city=city, when="later", send_at=local.strftime("%Y-%m-%dT%H:%M"),
        timezone="America/Sao_Paulo", action="send"))
    assert sent.status_code == 302
    message_id = int(sent.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    with ctx(app) as session:
        message = session.get(Message, message_id)
        (row,) = session.scalars(select(MessageRecipient).where(
            MessageRecipient.message_id == message_id)).all()
        at = local.replace(hour=21, minute=30)  # 18:30 in São Paulo (UTC-3) is 21:30 UTC
        assert message.send_at.replace(tzinfo=None) == at
        assert row.next_attempt_at.replace(tzinfo=None) == at and row.state == "queued"


def test_a_blast_that_cannot_go_says_why(app, login):
    staff = login("staff@northwind.test")
    harbor_release = _harbor_release_id(app)
    for changes, said in (({"by_email": None}, "Choose email, text messages or both."),
                          ({"by_sms": "y", "sms_body": ""}, "Write the text message"),
                          ({"country": "Iceland"}, "A two-letter country code"),
                          ({"release": str(harbor_release)}, "Choose the release from the list"),
                          ({"artist": "999999"}, "Choose the artist from the list"),
                          ({"platform": "myspace"}, "Choose a platform from the list"),
                          ({"when": "later", "send_at": "2020-01-01T10:00"},
                           "The time must be ahead"),
                          ({"when": "later", "send_at": ""}, "Give the day and time"),
                          ({"joined_from": "2026-05-02", "joined_to": "2026-05-01"},
                           "wrong way round"),
                          ({"body": "Hi {fan}"}, "Unknown merge field: {fan}"),
                          ({"name": ""}, "Name the blast")):
        for action in ("preview", "send"):
            answer = staff.post("/blasts/new", data=blast_form(action=action, **changes))
            assert answer.status_code == 422, changes
            assert said in answer.get_data(as_text=True), changes


def test_only_staff_of_the_label_may_blast(app, login):
    artist = login("artist@northwind.test")
    assert artist.get("/blasts/new").status_code in (302, 403)
    assert artist.post("/blasts/new", data=blast_form(action="send")).status_code in (302, 403)
    assert login("staff@northwind.test").get("/blasts/new").status_code == 200


def _artist_id(app, slug):
    with ctx(app) as session:
        return session.scalar(select(Artist.id).where(Artist.slug == slug))


def _label_of(app, slug):
    with ctx(app) as session:
        return session.scalar(select(Artist.label_id).where(Artist.slug == slug))


def _harbor_artist(app):
    with ctx(app) as session:
        northwind = session.scalar(select(Artist.label_id).where(Artist.slug == "aurora-vale"))
        return session.scalar(select(Artist.slug).where(Artist.label_id != northwind).limit(1))


def _harbor_release_id(app):
    with ctx(app) as session:
        northwind = session.scalar(select(Artist.label_id).where(Artist.slug == "aurora-vale"))
        return session.scalar(select(Release.id).where(Release.label_id != northwind).limit(1))


def test_staff_stop_a_scheduled_blast_and_nothing_of_it_goes(app, login, smtp_server):
    inbox = smtp_server()
    city = f"Grindavík-{uuid.uuid4().hex[:6]}"
    fans = [make_fan(app, "aurora-vale", city, marketing=("email",)) for _ in range(3)]
    staff = login("staff@northwind.test")
    local = (now_utc() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    sent = staff.post("/blasts/new", data=blast_form(city=city, when="later", send_at=local,
                                                     timezone="UTC", action="send"))
    message_id = int(sent.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    page = staff.get(f"/messages/{message_id}").get_data(as_text=True)
    assert "3 still waiting" in page and "Stop this blast" in page
    assert login("staff@harbor.test").post(f"/messages/{message_id}/stop").status_code == 404
    assert login("artist@northwind.test").post(
        f"/messages/{message_id}/stop").status_code in (302, 403)
    stopped = staff.post(f"/messages/{message_id}/stop", follow_redirects=True)
    html = stopped.get_data(as_text=True)
    assert "Stopped: 3 waiting messages will not be sent" in html
    assert "Stop this blast" not in html
    with ctx(app) as session:
        rows = session.scalars(select(MessageRecipient).where(
            MessageRecipient.message_id == message_id)).all()
        assert {(r.fan_id, r.state, r.reason) for r in rows} == {
            (fan, "cancelled", "not sent: staff@northwind.test stopped the blast") for fan in fans}
        session.execute(update(MessageRecipient).where(
            MessageRecipient.message_id == message_id).values(next_attempt_at=now_utc()))
        session.commit()
    work(app)
    with ctx(app) as session:
        emails = set(session.scalars(select(Fan.email).where(Fan.id.in_(fans))))
    assert not [rcpt for rcpt, _ in inbox.messages if emails & set(rcpt)]
    again = staff.post(f"/messages/{message_id}/stop", follow_redirects=True)
    assert "Nothing was waiting" in again.get_data(as_text=True)




def test_the_suppression_list_outlives_a_new_secret_key(app, login, smtp_server, monkeypatch):
    """An address that bounced is still not written to after SECRET_KEY changed (the lists
    are keyed apart from it)."""
    inbox = smtp_server()
    city = f"Borgarnes-{uuid.uuid4().hex[:6]}"
    fan = make_fan(app, "aurora-vale", city, marketing=("email",))
    with ctx(app) as session:
        email = session.get(Fan, fan).email
    inbox.refuse[email] = "550 5.1.1 No such mailbox"
    staff = login("staff@northwind.test")
    assert staff.post("/blasts/new", data=blast_form(city=city, action="send")).status_code == 302
    work(app)
    monkeypatch.setitem(app.config, "SECRET_KEY", "a-rotated-secret-key-" + uuid.uuid4().hex)
    del inbox.refuse[email]  # the server would take it now: the list still says no
    staff = login("staff@northwind.test")  # sessions end with the old key
    assert staff.post("/blasts/new", data=blast_form(city=city, action="send")).status_code == 302
    work(app)
    assert inbox.to(email) == []
    with ctx(app) as session:
        rows = session.scalars(select(MessageRecipient).where(
            MessageRecipient.fan_id == fan).order_by(MessageRecipient.id)).all()
        assert [r.state for r in rows] == ["bounced", "suppressed"]
        assert rows[1].reason == ("not sent: the address is on the artist's suppression list "
                                  "(bounced)")
