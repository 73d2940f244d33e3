"""Future Save, through HTTP, the sandbox and the real RQ worker: a fan who pre-saved one
release ticks "save this artist's future releases too" on the success step; the artist's
release already open gets their pre-save at once, the next one at its opening instant (the
reconciler's job), shown in the ledger as a future save; withdrawn on the fan's page, it stops;
a grant that will be dead at the release is flagged before the opening and asks the fan to
reconnect when the pre-save is added."""
from datetime import timedelta

from sqlalchemy import select, update

from app.extensions import db
from app.localtime import now_utc
from app.models import Authorization, Consent, Fan, Message, MessageRecipient, PreSave, Release
from app.models.message import RECONSENT
from app.tenants.context import Scope, scoped
from tests.fan_journey import flashes
from tests.lifecycle import run_the_clock
from tests.own_label import begin, finish, new_release

ADMIN = "admin@presave.test"


def opens_now(app, release_id):
    with app.app_context(), scoped(Scope.platform("test")):
        db.session.execute(update(Release).where(Release.id == release_id).values(
            presave_opens_at=now_utc() - timedelta(minutes=1)))
        db.session.commit()


def presaves_of(app, label_id, email, release_id):
    with app.app_context(), scoped(Scope.label(label_id)):
        return [(p.platform, p.action, p.state, p.origin, p.authorization_id is not None)
                for p in db.session.scalars(select(PreSave).join(Fan).where(
                    Fan.email == email, PreSave.release_id == release_id))]


def signed_up(app, page, email, **form):
    fan, authorize = begin(app, page, email=email, **form)
    assert any("Pre-Save Successful!" in said for said in finish(fan, authorize))
    return fan


def ask_future_save(fan, page, *platforms):
    return fan.post(page + "/future-save", data={"future_save": list(platforms)})


def test_opted_in_fans_get_the_next_release_at_its_opening_until_they_withdraw(
        app, api, login, own_label):
    label_id, artist_slug = own_label
    first_id, first = new_release(app, artist_slug)
    open_id, already_open = new_release(app, artist_slug, "Already Open")
    next_id, _ = new_release(app, artist_slug, "Next One", opens_in=timedelta(days=1),
                             out_in=timedelta(days=6))
    email = "future@example.com"
    fan = signed_up(app, first, email)

    shown = fan.get(first).get_data(as_text=True)
    assert "Never miss a release" in shown
    assert ('<input type="checkbox" id="future-spotify" name="future_save" value="spotify">'
            in shown)  # unticked
    assert "Save Allow List&#39;s future releases to my Spotify library too" in shown

    untouched = ask_future_save(fan, first)
    assert untouched.status_code == 302 and any("Tick the box first" in m for m in flashes(fan))
    assert ask_future_save(fan, first, "deezer").status_code == 400  # not pre-saved there
    assert app.test_client().post(first + "/future-save",
                                  data={"future_save": "spotify"}).status_code == 403
    with app.app_context(), scoped(Scope.label(label_id)):
        assert not db.session.scalars(select(Consent).where(
            Consent.purpose == "future_save_spotify")).all()

    assert ask_future_save(fan, first, "spotify").status_code == 302
    assert any("next releases will be saved" in m for m in flashes(fan))
    with app.app_context(), scoped(Scope.label(label_id)):
        consent = db.session.scalars(select(Consent).where(
            Consent.purpose == "future_save_spotify")).one()
        assert consent.wording.startswith("Save Allow List's future releases to my Spotify")
    assert "Never miss a release" not in fan.get(first).get_data(as_text=True)
    assert presaves_of(app, label_id, email, open_id) == [
        ("spotify", "save", "pending", "future_save", True)]  # open already: added at once
    assert presaves_of(app, label_id, email, next_id) == []  # not open yet

    opens_now(app, next_id)
    run_the_clock(app)
    assert presaves_of(app, label_id, email, next_id) == [
        ("spotify", "save", "pending", "future_save", True)]
    run_the_clock(app)  # the reconciler again: nothing twice
    assert len(presaves_of(app, label_id, email, next_id)) == 1

    client, headers = api(ADMIN)
    ledger = client.get(f"/api/v1/releases/{next_id}/deliveries", headers=headers).get_json()
    assert [e["origin"] for e in ledger["fans"]["items"]] == ["future_save"]
    assert "future save" in login(ADMIN).get(f"/releases/show/{next_id}").get_data(as_text=True)
    mine = fan.get(f"/s/{artist_slug}/me").get_data(as_text=True)
    assert "Next One on Spotify: waiting for release day (Future Save)" in mine
    assert "future releases to my Spotify library" in mine

    assert fan.post(f"/s/{artist_slug}/me/consents/{consent.id}/withdraw").status_code == 302
    assert any("won't be saved for you any more" in m for m in flashes(fan))
    assert presaves_of(app, label_id, email, next_id) == [  # waiting: cancelled with it
        ("spotify", "save", "cancelled", "future_save", True)]
    assert presaves_of(app, label_id, email, first_id) == [  # the fan's own: untouched
        ("spotify", "save", "pending", None, True)]
    later_id, _ = new_release(app, artist_slug, "After Withdrawing", opens_in=timedelta(days=1),
                              out_in=timedelta(days=6))
    opens_now(app, later_id)
    run_the_clock(app)
    with app.app_context(), scoped(Scope.label(label_id)):
        assert db.session.get(Release, later_id).future_saves_at is not None  # it looked
    assert presaves_of(app, label_id, email, later_id) == []


def test_a_grant_dead_by_the_release_is_flagged_and_the_fan_asked_to_reconnect(
        app, api, own_label):
    label_id, artist_slug = own_label
    _, first = new_release(app, artist_slug)
    email = "decaying@example.com"
    fan = signed_up(app, first, email, consent_email_marketing="1")
    assert ask_future_save(fan, first, "spotify").status_code == 302
    with app.app_context(), scoped(Scope.label(label_id)):  # given five months ago
        db.session.execute(update(Authorization).where(Authorization.label_id == label_id)
                           .values(granted_at=now_utc() - timedelta(days=150)))
        db.session.commit()
    next_id, _ = new_release(app, artist_slug, "In Six Weeks", opens_in=timedelta(days=1),
                             out_in=timedelta(days=42))

    client, headers = api(ADMIN)
    warnings = client.get(f"/api/v1/releases/{next_id}/deliveries",
                          headers=headers).get_json()["warnings"]
    flagged = [w for w in warnings if w["kind"] == "future_saves_expire"]
    assert [w["title"] for w in flagged] == [
        "Future Save: Spotify permissions end before the release for 1 fan"]

    opens_now(app, next_id)
    run_the_clock(app)
    assert presaves_of(app, label_id, email, next_id) == [
        ("spotify", "save", "pending", "future_save", True)]
    with app.app_context(), scoped(Scope.label(label_id)):
        asks = db.session.scalars(select(MessageRecipient).join(
            Message, Message.id == MessageRecipient.message_id).where(
            Message.release_id == next_id, Message.kind == RECONSENT)).all()
        assert [(a.platform, a.fan.email) for a in asks] == [("spotify", email)]
    warnings = client.get(f"/api/v1/releases/{next_id}/deliveries",
                          headers=headers).get_json()["warnings"]
    expiring = [w for w in warnings if w["kind"] == "grants_expire"]
    assert len(expiring) == 1 and "(1 of them added by Future Save)" in expiring[0]["what_happens"]
