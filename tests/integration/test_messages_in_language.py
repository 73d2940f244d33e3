"""Messages go out in the language a fan signed up in: the thank-you and release day's It's out
to a fan who pre-saved from a Japanese page are Japanese (the catalogue's words, or the
artist's own Japanese words where staff wrote them), to an English fan English; through real RQ
workers, the sandbox and a real SMTP server."""
import html
import re
import uuid
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from app.messaging.automations import WORDS
from app.models import Artist, Automation, Fan
from app.models.message import ITS_OUT, THANK_YOU
from tests.fan_journey import sandbox_decision, start
from tests.message_runs import ledger, time_passes, work
from tests.release_day_runs import ctx, on_platform, release_now, run_release_day

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
CATALOGUE = Path(__file__).resolve().parents[2] / "app" / "translations" / "ja" / \
    "LC_MESSAGES" / "fan.po"
STAFF = "staff@northwind.test"


@pytest.fixture(scope="module")
def japanese():
    with CATALOGUE.open("rb") as handle:
        catalog = read_po(handle)
    return lambda english: catalog[english].string


def fill(words, **fields):
    for name, value in fields.items():
        words = words.replace("{" + name + "}", value)
    return words


def presaves_in(app, slug, language):
    """A fan pre-saves on Spotify from a page in ``language``, ticking the email box; their
    email."""
    email = f"fan-{uuid.uuid4().hex[:8]}@example.com"
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    going = start(client, slug, email=email, name="Kaito Sato", consent_email_marketing="1")
    assert going.status_code == 302, going.get_data(as_text=True)
    assert client.get(sandbox_decision(client, going.headers["Location"])).status_code == 302
    return email


def text_of(message):
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_the_thank_you_and_it_s_out_speak_the_language_the_fan_signed_up_in(
        app, smtp_server, active_release, over_http, japanese):
    inbox = smtp_server()
    slug = active_release()
    kaito, ada = presaves_in(app, slug, "ja"), presaves_in(app, slug, "en-GB")
    with ctx(app) as session:
        assert session.scalar(select(Fan.language).where(Fan.email == kaito)) == "ja"
    time_passes(app, slug)
    work(app)
    (thanks,) = inbox.to(kaito)
    subject = japanese(WORDS[THANK_YOU][0])
    assert thanks["Subject"] == fill(subject, release_title="Flow Song",
                                     artist_name="Aurora Vale")
    text = text_of(thanks)
    assert JAPANESE.search(text.split("\n")[0]) and "Kaito" in text.split("\n")[0]
    assert "Thanks for pre-saving" not in text and "Unsubscribe from" not in text
    assert JAPANESE.search(text.rsplit("--", 1)[1])  # our own footer too
    assert '<html lang="ja" dir="ltr">' in thanks.get_body(("html",)).get_content()
    # The ledger says which language each went in, on the message's page and in its CSV
    rows = {row.fan_id: row for row in ledger(app, slug)}
    with ctx(app) as session:
        ids = dict(session.execute(select(Fan.email, Fan.id).where(
            Fan.email.in_([kaito, ada]))).all())
    assert (rows[ids[kaito]].language, rows[ids[ada]].language) == ("ja", "en")
    (english,) = inbox.to(ada)
    assert english["Subject"] == "You pre-saved “Flow Song” by Aurora Vale"

    # Release day of another release (one automation message a day: the thank-yous above
    # would hold its It's out until tomorrow)
    slug = active_release()
    kaito, ada = presaves_in(app, slug, "ja"), presaves_in(app, slug, "en-GB")
    with app.app_context():
        isrc, _ = on_platform("spotify")
    label_id, release_id = release_now(app, slug, isrc=isrc)
    run_release_day(app, label_id, release_id)
    (out,) = inbox.to(kaito)
    assert out["Subject"] == fill(japanese(WORDS[ITS_OUT][0]), release_title="Flow Song",
                                  artist_name="Aurora Vale")
    said = text_of(out)
    assert "Spotify" in said and "library already" not in said and JAPANESE.search(said)
    assert inbox.to(ada)[0]["Subject"] == "“Flow Song” by Aurora Vale is out now"


def test_staff_write_an_automation_s_japanese_words_and_japanese_fans_get_them(
        app, login, smtp_server, active_release, japanese):
    inbox = smtp_server()
    staff = login(STAFF)
    with ctx(app) as session:
        artist_id = session.scalar(select(Artist.id).where(Artist.slug == "aurora-vale"))
    page = f"/automations/{artist_id}/{THANK_YOU}?language=ja"
    shown = staff.get(page).get_data(as_text=True)
    assert "get the default words translated" in shown
    assert japanese(WORDS[THANK_YOU][0]) in html.unescape(shown)
    saved = staff.post(page, data={
        "subject": "{artist_name}から:「{release_title}」のプリセーブありがとう",
        "body": "{fan_first_name}さん、ありがとう!\n{fan_page_url}\n", "sms_body": ""})
    assert saved.status_code == 302
    assert "get the default words translated" not in staff.get(page).get_data(as_text=True)
    refused = staff.post(page, data={"subject": "{nope}", "body": "x", "sms_body": ""})
    assert refused.status_code == 422
    try:
        slug = active_release()
        kaito = presaves_in(app, slug, "ja")
        time_passes(app, slug)
        work(app)
        (thanks,) = inbox.to(kaito)
        assert thanks["Subject"] == "Aurora Valeから:「Flow Song」のプリセーブありがとう"
        assert text_of(thanks).startswith("Kaitoさん、ありがとう!")
    finally:  # the demo artist's Japanese words go back to the catalogue's
        with ctx(app) as session:
            row = session.scalars(select(Automation).where(
                Automation.artist_id == artist_id, Automation.kind == THANK_YOU)).one()
            row.translations = {}
            session.commit()
