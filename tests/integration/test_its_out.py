"""Release day's "It's out": exactly one message to every pre-saver with a contact and the
consent, delivered or not, saying where the release is; through real RQ workers, the sandbox
and a real SMTP server."""
import uuid
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select, update

from app.localtime import now_utc
from app.models import Fan, Release
from app.presaves.record import reschedule_pending

from tests.fan_journey import sandbox_decision, start
from tests.message_runs import follow, ledger, tracked_links
from tests.release_day_runs import (ctx, on_platform, reconcile_once, release_now, remind_me,
                                     rows, run_release_day)

def direct(app, slug, **box):
    """A fan pre-saves on Spotify through the sandbox's consent page; their email."""
    email = f"fan-{uuid.uuid4().hex[:8]}@example.com"
    client = app.test_client()
    going = start(client, slug, email=email, **box)
    assert client.get(sandbox_decision(client, going.headers["Location"])).status_code == 302
    return email


def text_of(message):
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_release_day_tells_each_presaver_once_where_the_release_is(
        app, smtp_server, active_release, over_http):
    inbox = smtp_server()
    slug = active_release()
    saved = direct(app, slug, consent_email_marketing="1")
    silent = direct(app, slug)  # no box ticked: nothing is sent
    reminded = remind_me(app, slug, "deezer")
    with app.app_context():
        isrc, _ = on_platform("spotify")
    label_id, release_id = release_now(app, slug, isrc=isrc)
    run_release_day(app, label_id, release_id)

    assert {r.state for r in rows(app, release_id)} == {"delivered"}
    (to_saved,) = inbox.to(saved)
    assert to_saved["Subject"] == "“Flow Song” by Aurora Vale is out now"
    assert ("It's in your Spotify library already: we saved it there at release time. Play it:"
            f"\n{over_http}/s/aurora-vale/m/") in text_of(to_saved)
    assert follow(app, tracked_links(text_of(to_saved))[0]) == \
        f"{over_http}/s/aurora-vale/{slug}/go/spotify"
    (to_reminded,) = inbox.to(reminded)
    assert f"Listen on Deezer:\n{over_http}/s/aurora-vale/m/" in text_of(to_reminded)
    assert follow(app, tracked_links(text_of(to_reminded))[0]) == \
        f"{over_http}/s/aurora-vale/{slug}/go/deezer"
    assert "library" not in text_of(to_reminded)
    assert inbox.to(silent) == []

    its_out = [row for row in ledger(app, slug) if row.message.kind == "its_out"]
    assert sorted(row.state for row in its_out) == ["sent", "sent"]
    # The thank-yous queued at sign-up come due after the release: the It's out said it all.
    run_release_day(app, label_id, release_id)
    reconcile_once(app)
    assert (len(inbox.to(saved)), len(inbox.to(reminded))) == (1, 1)


def test_local_mode_tells_each_fan_at_their_own_midnight(app, smtp_server, active_release):
    """Kiritimati (UTC+14) and Pago Pago (UTC-11) are 25 hours apart, so some release date has
    its midnight passed in the first and still ahead in the second, whatever the time now."""
    inbox = smtp_server()
    slug = active_release()
    east, west = remind_me(app, slug), remind_me(app, slug)
    day = (now_utc() + timedelta(hours=14)).date()
    with ctx(app) as session:
        release = session.scalars(select(Release).where(Release.slug == slug)).one()
        release.release_mode, release.timezone = "local", "UTC"
        release.release_local = datetime.combine(day, time())
        release.release_at = datetime.combine(day, time(), tzinfo=timezone.utc)
        for email, zone in ((east, "Pacific/Kiritimati"), (west, "Pacific/Pago_Pago")):
            session.execute(update(Fan).where(Fan.email == email).values(timezone=zone))
        session.flush()
        reschedule_pending(release)
        session.commit()
        label_id, release_id = release.label_id, release.id
    run_release_day(app, label_id, release_id)
    assert (len(inbox.to(east)), len(inbox.to(west))) == (1, 0)
    west_row = [r for r in rows(app, release_id) if r.state == "pending"]
    assert len(west_row) == 1 and west_row[0].next_attempt_at > now_utc()
