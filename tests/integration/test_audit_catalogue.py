"""The audit trail, action by action: each of the admin's other audited actions, done through
HTTP as a demo user, writes exactly one entry with its action, actor, label, object and masked
before/after; an action refused for bad input writes none. Each test removes what it added
(the entries of that clean-up are expected)."""
import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.localtime import now_utc
from app.models import (AdPixels, Artist, AudienceConnection, Automation, Consent,
                        Fan, Label, Release, ShortLink, StreamingLink,
                        WebhookDelivery, WebhookEndpoint)
from app.presaves.record import record_presave
from app.tenants.context import Scope, scoped
from tests.audit_entries import entries_after, last_id, northwind, user_id
from tests.own_label import new_release, purge_artist

OWNER, STAFF = "owner@northwind.test", "staff@northwind.test"
ADMIN_ROLE, STAFF_ROLE = "Label Admin", "Label Staff"
MASK = "••••"
HOOK_URL = "http://127.0.0.1:9/hook"  # loopback: allowed outside production, never reached
HOOK_HOST = "127.0.0.1:9"  # a receiver's path can be its credential: the trail names the host
META_ID = "1234567890123456"


def shown(found):
    """What appeared, for an assertion's message."""
    return [(e.action, e.object_type, e.object_id, e.object_name, e.changes, e.detail)
            for e in found]


def the_one(app, start, action):
    """The single entry written since ``start``, which must be ``action``."""
    found = entries_after(app, start)
    assert len(found) == 1, shown(found)
    assert found[0].action == action, shown(found)
    return found[0]


def assert_actor(app, entry, email, role, kind="user"):
    assert (entry.actor_kind, entry.actor_name, entry.actor_role, entry.actor_user_id) == (
        kind, email, role, user_id(app, email))
    assert entry.label_id == northwind(app)


def nothing_secret(app, start, *secrets):
    text = json.dumps(shown(entries_after(app, start)), default=str)
    for secret in secrets:
        assert secret not in text


def pk_from(response):
    return int(response.headers["Location"].split("?")[0].rstrip("/").rsplit("/", 1)[-1])


# -- a Northwind artist of the test's own ----------------------------------------------------------

@pytest.fixture
def artist(app, unique):
    """(id, slug) of a new Northwind artist, removed afterwards with all it owns."""
    slug = unique("audit")
    with app.app_context(), scoped(Scope.platform("test")):
        row = Artist(label_id=northwind(app), name=f"Audit {slug[-8:]}", slug=slug,
                     timezone="UTC")
        db.session.add(row)
        db.session.commit()
        pk = row.id
    yield pk, slug
    purge_artist(app, pk)


def make_fan(app, artist_id, city, presave_on=None):
    """A fan of the artist in ``city`` who agreed to its emails (and pre-saved a release)."""
    with app.app_context(), scoped(Scope.platform("test")):
        artist = db.session.get(Artist, artist_id)
        fan = Fan(artist=artist, label_id=artist.label_id, artist_id=artist.id, city=city,
                  country="IS", name="Sól Jónsdóttir",
                  email=f"fan-{uuid.uuid4().hex[:8]}@example.com")
        db.session.add(fan)
        db.session.flush()
        db.session.add(Consent(fan=fan, fan_id=fan.id, label_id=fan.label_id,
                               artist_id=artist.id, purpose="email_marketing", wording="News"))
        if presave_on is not None:
            record_presave(db.session.get(Release, presave_on), fan, "deezer")
        db.session.commit()
        return fan.id


# -- 1. webhooks -----------------------------------------------------------------------------------

def endpoint_row(app, pk):
    with app.app_context(), scoped(Scope.platform("test")):
        row = db.session.get(WebhookEndpoint, pk)
        if row is not None:
            db.session.expunge(row)
        return row


def test_a_webhook_added_tested_turned_off_and_on_and_deleted(app, login, unique):
    owner = login(OWNER)
    description = unique("CRM")
    start = last_id(app)
    made = owner.post("/webhooks/add", data={"url": HOOK_URL, "description": description,
                                             "events": ["fan.erased", "release.released"]})
    assert made.status_code == 302, made.get_data(as_text=True)[:500]
    pk = pk_from(made)
    try:
        added = the_one(app, start, "webhook.created")
        assert_actor(app, added, OWNER, ADMIN_ROLE)
        assert (added.object_type, added.object_id, added.object_name) == ("webhook", pk,
                                                                           HOOK_HOST)
        assert added.changes["secret"] == [None, MASK]
        assert added.changes["url"] == [None, MASK]
        assert added.changes["events"] == [None, ["release.released", "fan.erased"]]
        assert added.changes["description"] == [None, description]
        assert added.changes["active"] == [None, True]
        assert not any(key.endswith("_sealed") for key in added.changes)
        with app.app_context(), scoped(Scope.platform("test")):
            from app.crypto import keyring
            secret = db.session.get(WebhookEndpoint, pk).secret(keyring())
        nothing_secret(app, start, secret)

        start = last_id(app)
        assert owner.post(f"/webhooks/{pk}/test").status_code == 302
        tested = the_one(app, start, "webhook.tested")
        assert_actor(app, tested, OWNER, ADMIN_ROLE)
        assert (tested.object_type, tested.object_id) == ("webhook", pk)
        assert not tested.changes  # a delivery was queued: not a change of the endpoint

        start = last_id(app)
        assert owner.post(f"/webhooks/{pk}/off").status_code == 302
        off = the_one(app, start, "webhook.turned_off")
        assert_actor(app, off, OWNER, ADMIN_ROLE)
        assert off.object_id == pk
        assert off.changes["active"] == [True, False]
        assert off.changes["disabled_reason"] == [None, f"Turned off by {OWNER}"]
        assert off.changes["disabled_at"][0] is None and off.changes["disabled_at"][1]
        assert set(off.changes) == {"active", "disabled_reason", "disabled_at"}

        start = last_id(app)
        assert owner.post(f"/webhooks/{pk}/on").status_code == 302
        on = the_one(app, start, "webhook.turned_on")
        assert_actor(app, on, OWNER, ADMIN_ROLE)
        assert on.changes["active"] == [False, True]
        assert on.changes["disabled_reason"] == [f"Turned off by {OWNER}", None]
        assert on.changes["disabled_at"][1] is None
        assert set(on.changes) == {"active", "disabled_reason", "disabled_at"}

        with app.app_context(), scoped(Scope.platform("test")):
            assert db.session.scalars(select(WebhookDelivery.id).where(
                WebhookDelivery.endpoint_id == pk)).all()  # the test event's delivery
        start = last_id(app)
        assert owner.post(f"/webhooks/{pk}/delete").status_code == 302
        deleted = the_one(app, start, "webhook.deleted")  # none of its deliveries
        assert_actor(app, deleted, OWNER, ADMIN_ROLE)
        assert (deleted.object_type, deleted.object_id, deleted.object_name) == (
            "webhook", pk, HOOK_HOST)
        assert deleted.changes["url"] == [MASK, None]
        assert deleted.changes["secret"] == [MASK, None]
        assert endpoint_row(app, pk) is None
    finally:
        if endpoint_row(app, pk) is not None:
            owner.post(f"/webhooks/{pk}/delete")


@pytest.mark.parametrize("url", ["ftp://example.com/hook", "", "https://user:pw@example.com/h"])
def test_a_webhook_refused_writes_no_entry(app, login, url):
    with app.app_context(), scoped(Scope.platform("test")):
        before = db.session.scalars(select(WebhookEndpoint.id)).all()
    owner = login(OWNER)  # (signing in is an entry of its own)
    start = last_id(app)
    refused = owner.post("/webhooks/add", data={"url": url, "events": ["fan.erased"]})
    assert refused.status_code == 422
    assert entries_after(app, start) == []
    with app.app_context(), scoped(Scope.platform("test")):
        assert db.session.scalars(select(WebhookEndpoint.id)).all() == before


# -- 2. ad pixels ----------------------------------------------------------------------------------

@pytest.fixture
def northwind_pixels_removed(app):
    """Northwind has no pixels of its own before and after (as test_ad_pixels leaves it)."""
    label_id = northwind(app)
    with app.app_context(), scoped(Scope.platform("test")):
        assert db.session.scalars(select(AdPixels.id).where(
            AdPixels.label_id == label_id)).all() == []
    yield label_id
    from app.views.public.speed import page_version

    with app.app_context(), scoped(Scope.platform("test")):
        for row in db.session.scalars(select(AdPixels).where(AdPixels.label_id == label_id)):
            db.session.delete(row)
        db.session.commit()
        page_version.bump()


def test_ad_pixels_saved_show_the_id_and_mask_the_token(app, login, northwind_pixels_removed):
    owner = login(OWNER)
    token = f"EAAB-{uuid.uuid4().hex}"
    start = last_id(app)
    saved = owner.post("/ad-pixels/save", data={
        "meta_pixel_id": META_ID, "tiktok_pixel_code": "", "google_tag_id": "",
        "meta_token": token})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:500]
    entry = the_one(app, start, "ad_pixels.created")
    assert_actor(app, entry, OWNER, ADMIN_ROLE)
    with app.app_context(), scoped(Scope.platform("test")):
        pk = db.session.scalars(select(AdPixels.id).where(
            AdPixels.label_id == northwind_pixels_removed)).one()
    assert (entry.object_type, entry.object_id, entry.object_name) == ("ad_pixels", pk, "label")
    assert entry.changes == {"meta_pixel_id": [None, META_ID], "meta_token": [None, MASK]}
    nothing_secret(app, start, token)

    start = last_id(app)
    again = owner.post("/ad-pixels/save", data={
        "meta_pixel_id": "6543210987654321", "tiktok_pixel_code": "", "google_tag_id": "",
        "meta_token": "", "forget_tokens": "y"})
    assert again.status_code == 302
    changed = the_one(app, start, "ad_pixels.changed")
    assert_actor(app, changed, OWNER, ADMIN_ROLE)
    assert changed.changes == {"meta_pixel_id": [META_ID, "6543210987654321"],
                               "meta_token": [MASK, None]}


def test_a_bad_pixel_id_writes_no_entry(app, login, northwind_pixels_removed):
    owner = login(OWNER)
    start = last_id(app)
    bad = owner.post("/ad-pixels/save", data={
        "meta_pixel_id": "12ab", "tiktok_pixel_code": "", "google_tag_id": "UA-1",
        "meta_token": "EAAB-never-stored"})
    assert bad.status_code == 422
    assert entries_after(app, start) == []


# -- 3. email tools --------------------------------------------------------------------------------

@pytest.fixture
def northwind_tools_removed(app):
    """Northwind has no email tool connected before and after."""
    label_id = northwind(app)
    with app.app_context(), scoped(Scope.platform("test")):
        assert db.session.scalars(select(AudienceConnection.id).where(
            AudienceConnection.label_id == label_id)).all() == []
        aurora = db.session.scalars(select(Artist.id).where(Artist.slug == "aurora-vale")).one()
    yield label_id, aurora
    with app.app_context(), scoped(Scope.platform("test")):
        for row in db.session.scalars(select(AudienceConnection).where(
                AudienceConnection.label_id == label_id)):
            db.session.delete(row)
        db.session.commit()


def test_an_email_tool_saved_checked_and_disconnected(app, login, northwind_tools_removed):
    from app.sandbox import mailchimp as mailchimp_sandbox

    label_id, aurora = northwind_tools_removed
    with app.app_context():
        list_id = mailchimp_sandbox.create_list("Aurora Vale fans")
    owner = login(OWNER)
    start = last_id(app)
    saved = owner.post("/email-tools/mailchimp/save", data={
        "api_key": mailchimp_sandbox.SANDBOX_KEY, f"list_{aurora}": list_id})
    assert saved.status_code == 302
    with app.app_context(), scoped(Scope.platform("test")):
        pk = db.session.scalars(select(AudienceConnection.id).where(
            AudienceConnection.label_id == label_id)).one()
    entry = the_one(app, start, "email_tool.created")
    assert_actor(app, entry, OWNER, ADMIN_ROLE)
    assert (entry.object_type, entry.object_id, entry.object_name) == (
        "email_tool", pk, "mailchimp")
    assert entry.changes["api_key"] == [None, MASK]
    assert entry.changes["provider"] == [None, "mailchimp"]
    assert entry.changes["lists"][1] == {str(aurora): list_id}
    nothing_secret(app, start, mailchimp_sandbox.SANDBOX_KEY)

    start = last_id(app)
    checked = owner.post("/email-tools/mailchimp/check", follow_redirects=True)
    assert "Mailchimp works" in checked.get_data(as_text=True)
    entry = the_one(app, start, "email_tool.checked")
    assert_actor(app, entry, OWNER, ADMIN_ROLE)
    assert (entry.object_type, entry.object_id) == ("email_tool", pk)

    start = last_id(app)
    assert owner.post("/email-tools/mailchimp/disconnect").status_code == 302
    entry = the_one(app, start, "email_tool.deleted")
    assert_actor(app, entry, OWNER, ADMIN_ROLE)
    assert (entry.object_type, entry.object_id, entry.object_name) == (
        "email_tool", pk, "mailchimp")
    assert entry.changes["api_key"] == [MASK, None]
    assert entry.changes["provider"] == ["mailchimp", None]
    nothing_secret(app, start, mailchimp_sandbox.SANDBOX_KEY)


def test_an_email_tool_refused_writes_no_entry(app, login, northwind_tools_removed):
    label_id, aurora = northwind_tools_removed
    owner = login(OWNER)
    start = last_id(app)
    bad = owner.post("/email-tools/mailchimp/save", data={
        "api_key": "never-stored-us0", f"list_{aurora}": "a b"})
    assert bad.status_code == 422 and "one word" in bad.get_data(as_text=True)
    assert entries_after(app, start) == []
    with app.app_context(), scoped(Scope.platform("test")):
        assert db.session.scalars(select(AudienceConnection.id).where(
            AudienceConnection.label_id == label_id)).all() == []


# -- 4. share kit ----------------------------------------------------------------------------------

def share_links_of(app, release_id):
    with app.app_context(), scoped(Scope.platform("test")):
        return {name: (pk, code, main) for pk, name, code, main in db.session.execute(
            select(ShortLink.id, ShortLink.name, ShortLink.code, ShortLink.main)
            .where(ShortLink.release_id == release_id)).all()}


def test_a_share_link_made_is_one_release_entry(app, login, artist, unique):
    _, slug = artist
    release_id, _ = new_release(app, slug, title="Share Kit")
    staff = login(STAFF)
    name = unique("Bio")
    start = last_id(app)
    made = staff.post(f"/releases/{release_id}/share-links", data={
        "name": name, "preset": "instagram_bio", "utm_source": "", "utm_medium": "",
        "utm_campaign": "", "utm_content": ""})
    assert made.status_code == 302
    links = share_links_of(app, release_id)
    _, code, _ = links[name]
    _, main_code, _ = links["Fan page"]  # made by the page itself, in the same transaction
    entry = the_one(app, start, "release.share_link_created")
    assert_actor(app, entry, STAFF, STAFF_ROLE)
    assert (entry.object_type, entry.object_id, entry.object_name) == (
        "release", release_id, "Share Kit")
    assert entry.changes[f"share link {code} name"] == [None, name]
    assert entry.changes[f"share link {code} utm_source"] == [None, "instagram"]
    assert not any(main_code in key for key in entry.changes)  # not an act of staff


def test_a_share_link_removed_is_one_release_entry(app, login, artist, unique):
    _, slug = artist
    release_id, _ = new_release(app, slug, title="Share Kit")
    staff = login(STAFF)
    name = unique("Bio")
    assert staff.post(f"/releases/{release_id}/share-links", data={
        "name": name, "preset": "instagram_bio", "utm_source": "", "utm_medium": "",
        "utm_campaign": "", "utm_content": ""}).status_code == 302
    link_id, code, _ = share_links_of(app, release_id)[name]
    start = last_id(app)
    removed = staff.post(f"/releases/{release_id}/share-links/{link_id}/remove")
    assert removed.status_code == 302
    entry = the_one(app, start, "release.share_link_deleted")
    assert_actor(app, entry, STAFF, STAFF_ROLE)
    assert entry.changes[f"share link {code} name"] == [name, None]
    assert entry.changes[f"share link {code} utm_source"] == ["instagram", None]
    assert entry.changes[f"share link {code} code"] == [code, None]
    assert name not in share_links_of(app, release_id)

    refused_at = last_id(app)  # the fan page's own stays: refused, no entry
    main_id, _, _ = share_links_of(app, release_id)["Fan page"]
    assert staff.post(f"/releases/{release_id}/share-links/{main_id}/remove").status_code == 302
    assert "Fan page" in share_links_of(app, release_id)
    assert entries_after(app, refused_at) == []

    # the entry is the release's, as for every part (not the removed link's id)
    assert (entry.object_type, entry.object_id, entry.object_name) == (
        "release", release_id, "Share Kit")


# -- 5. a streaming link set by hand ---------------------------------------------------------------

DEEZER = "https://www.deezer.com/track/3135556"


def test_a_streaming_link_set_by_hand_is_one_release_entry(app, login, artist):
    _, slug = artist
    release_id, _ = new_release(app, slug, title="Hand Set")
    staff = login(STAFF)
    start = last_id(app)
    answer = staff.post(f"/releases/{release_id}/links",
                        data={"platform": "deezer", "url": DEEZER})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    with app.app_context(), scoped(Scope.platform("test")):
        assert db.session.scalars(select(StreamingLink.url).where(
            StreamingLink.release_id == release_id)).all() == [DEEZER]
    entry = the_one(app, start, "release.link_created")
    assert_actor(app, entry, STAFF, STAFF_ROLE)
    assert (entry.object_type, entry.object_id, entry.object_name) == (
        "release", release_id, "Hand Set")
    assert entry.changes["link deezer url"] == [None, DEEZER]
    assert entry.changes["link deezer source"] == [None, "manual"]


def test_a_hand_set_link_hidden_replaced_and_removed(app, login, artist):
    _, slug = artist
    release_id, _ = new_release(app, slug, title="Hand Set")
    staff = login(STAFF)
    assert staff.post(f"/releases/{release_id}/links",
                      data={"platform": "deezer", "url": DEEZER}).status_code == 302
    start = last_id(app)
    assert staff.post(f"/releases/{release_id}/links/deezer/hide").status_code == 302
    entry = the_one(app, start, "release.link_changed")
    assert_actor(app, entry, STAFF, STAFF_ROLE)
    assert (entry.object_type, entry.object_id) == ("release", release_id)
    assert entry.changes == {"link deezer hidden": [False, True]}

    other = "https://www.deezer.com/track/916424"
    start = last_id(app)
    assert staff.post(f"/releases/{release_id}/links",
                      data={"platform": "deezer", "url": other}).status_code == 302
    entry = the_one(app, start, "release.link_changed")
    assert entry.changes["link deezer url"] == [DEEZER, other]
    assert entry.changes["link deezer hidden"] == [True, False]

    start = last_id(app)
    refused = staff.post(f"/releases/{release_id}/links",
                         data={"platform": "deezer", "url": "https://evil.example/track/1"})
    assert refused.status_code == 422
    assert entries_after(app, start) == []

    start = last_id(app)
    assert staff.post(f"/releases/{release_id}/links/deezer/remove").status_code == 302
    entry = the_one(app, start, "release.link_deleted")
    assert_actor(app, entry, STAFF, STAFF_ROLE)
    assert entry.changes["link deezer url"] == [other, None]
    assert (entry.object_type, entry.object_id, entry.object_name) == (
        "release", release_id, "Hand Set")


# -- 6. blasts -------------------------------------------------------------------------------------

def blast_form(**changes):
    data = {"name": "Tour dates", "artist": "", "by_email": "y",
            "subject": "On tour, {fan_first_name}",
            "body": "Hi {fan_first_name}, {artist_name} plays Reykjavík soon.",
            "sms_body": "", "country": "IS", "city": "", "platform": "", "release": "",
            "presaved": "yes", "joined_from": "", "joined_to": "", "when": "now",
            "send_at": "", "timezone": "UTC", "action": "preview"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def scheduled_blast(app, staff, artist_id, name, fans=3):
    """A blast to ``fans`` new fans of the artist, due tomorrow; its message id."""
    city = f"Vík-{uuid.uuid4().hex[:6]}"
    for _ in range(fans):
        make_fan(app, artist_id, city)
    tomorrow = (now_utc() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    sent = staff.post("/blasts/new", data=blast_form(
        name=name, city=city, artist=str(artist_id), when="later", send_at=tomorrow,
        action="send"))
    assert sent.status_code == 302, sent.get_data(as_text=True)[:800]
    return pk_from(sent)


def test_a_blast_scheduled_and_stopped(app, login, artist, unique):
    artist_id, _ = artist
    staff = login(STAFF)
    name = unique("Tour")
    start = last_id(app)
    message_id = scheduled_blast(app, staff, artist_id, name)
    entry = the_one(app, start, "blast.scheduled")
    assert_actor(app, entry, STAFF, STAFF_ROLE)
    assert (entry.object_type, entry.object_id, entry.object_name) == (
        "message", message_id, name)
    assert entry.detail["recipients"] == 3 and entry.detail["channels"] == ["email"]

    start = last_id(app)
    assert staff.post(f"/messages/{message_id}/stop").status_code == 302
    entry = the_one(app, start, "blast.stopped")
    assert_actor(app, entry, STAFF, STAFF_ROLE)
    assert (entry.object_type, entry.object_id, entry.object_name) == (
        "message", message_id, name)
    assert entry.detail == {"not_sent": 3}


def test_a_blast_that_cannot_go_writes_no_entry(app, login, artist):
    artist_id, _ = artist
    staff = login(STAFF)
    start = last_id(app)
    refused = staff.post("/blasts/new", data=blast_form(
        artist=str(artist_id), action="send", by_email=None))
    assert refused.status_code == 422
    assert entries_after(app, start) == []


# -- 7. the label's privacy settings ---------------------------------------------------------------

PRIVACY = ("privacy_controller", "privacy_contact", "privacy_url", "terms_url")


def test_the_privacy_settings_edited(app, login, unique):
    label_id = northwind(app)
    with app.app_context(), scoped(Scope.platform("test")):
        label = db.session.get(Label, label_id)
        kept = {field: getattr(label, field) for field in PRIVACY}
    new = {"privacy_controller": unique("Northwind Records Ltd"),
           "privacy_contact": "privacy@northwind.example",
           "privacy_url": "https://northwind.example/privacy",
           "terms_url": "https://northwind.example/terms"}
    owner = login(OWNER)
    try:
        start = last_id(app)
        assert owner.post(f"/label-privacy/edit/{label_id}", data=new).status_code == 302
        entry = the_one(app, start, "label.changed")
        assert_actor(app, entry, OWNER, ADMIN_ROLE)
        assert (entry.object_type, entry.object_id) == ("label", label_id)
        assert entry.changes == {field: [kept[field], new[field]] for field in PRIVACY
                                 if kept[field] != new[field]}

        start = last_id(app)
        refused = owner.post(f"/label-privacy/edit/{label_id}",
                             data={**new, "privacy_url": "javascript:alert(1)"})
        assert refused.status_code == 422
        assert entries_after(app, start) == []
    finally:
        with app.app_context(), scoped(Scope.platform("test")):
            label = db.session.get(Label, label_id)
            for field, value in kept.items():
                setattr(label, field, value)
            db.session.commit()


# -- 8. automations --------------------------------------------------------------------------------

def automation_form(**changes):
    data = {"enabled": "y", "delay": "5", "subject": "Thanks, {fan_first_name}!",
            "body": "Hi {fan_first_name}, “{release_title}” is on its way: {fan_page_url}",
            "sms_body": ""}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_an_automation_edited(app, login, artist):
    artist_id, _ = artist
    staff = login(STAFF)
    start = last_id(app)
    assert staff.post(f"/automations/{artist_id}/thank_you",
                      data=automation_form()).status_code == 302
    created = the_one(app, start, "automation.created")  # the artist's first own settings
    with app.app_context(), scoped(Scope.platform("test")):
        pk = db.session.scalars(select(Automation.id).where(
            Automation.artist_id == artist_id, Automation.kind == "thank_you")).one()
    assert (created.object_type, created.object_id, created.object_name) == (
        "automation", pk, "thank_you")

    start = last_id(app)
    assert staff.post(f"/automations/{artist_id}/thank_you", data=automation_form(
        delay="10", subject="Thank you, {fan_first_name}", enabled=None)).status_code == 302
    entry = the_one(app, start, "automation.changed")
    assert_actor(app, entry, STAFF, STAFF_ROLE)
    assert (entry.object_type, entry.object_id, entry.object_name) == (
        "automation", pk, "thank_you")
    assert entry.changes == {"enabled": [True, False], "delay_minutes": [5, 10],
                             "subject": ["Thanks, {fan_first_name}!",
                                         "Thank you, {fan_first_name}"]}

    start = last_id(app)
    refused = staff.post(f"/automations/{artist_id}/thank_you",
                         data=automation_form(body="Hi {fan}"))
    assert refused.status_code == 422
    assert entries_after(app, start) == []


# -- 9. exports ------------------------------------------------------------------------------------

def data_lines(response):
    text = response.get_data(as_text=True)
    return text.count("\r\n") - 1  # the header is not a row


def test_the_ledger_csv_is_one_export_entry_with_its_rows(app, login, artist):
    artist_id, slug = artist
    release_id, _ = new_release(app, slug, title="Ledger")
    for _ in range(3):
        make_fan(app, artist_id, "Reykjavík", presave_on=release_id)
    staff = login(STAFF)
    start = last_id(app)
    answer = staff.get(f"/releases/{release_id}/deliveries.csv")
    assert answer.status_code == 200
    rows = data_lines(answer)
    assert rows == 3
    entry = the_one(app, start, "export.deliveries")
    assert_actor(app, entry, STAFF, STAFF_ROLE)
    assert (entry.object_type, entry.object_id, entry.object_name) == (
        "release", release_id, "Ledger")
    assert entry.detail["rows"] == rows
    assert not entry.changes


def test_the_recipients_csv_is_one_export_entry_with_its_rows(app, login, artist, unique):
    artist_id, _ = artist
    staff = login(STAFF)
    name = unique("Tour")
    message_id = scheduled_blast(app, staff, artist_id, name, fans=2)
    try:
        start = last_id(app)
        answer = staff.get(f"/messages/{message_id}/recipients.csv")
        assert answer.status_code == 200
        rows = data_lines(answer)
        assert rows == 2
        entry = the_one(app, start, "export.recipients")
        assert_actor(app, entry, STAFF, STAFF_ROLE)
        assert (entry.object_type, entry.object_id, entry.object_name) == (
            "message", message_id, name)
        assert entry.detail["rows"] == rows
    finally:
        staff.post(f"/messages/{message_id}/stop")  # nothing of it goes out


# -- 10. the API -----------------------------------------------------------------------------------

def test_a_release_created_through_the_api(app, api, artist, unique):
    artist_id, _ = artist
    client, headers = api(STAFF)
    year = now_utc().year + 2
    title = f"Api {unique()}"
    start = last_id(app)
    made = client.post("/api/v1/releases/", headers=headers, json={
        "artist_id": artist_id, "title": title, "platforms": ["spotify", "deezer"],
        "timezone": "Europe/Berlin", "presave_opens_at": f"{year}-02-01T09:30",
        "release_at": f"{year}-03-01", "slug": unique("rel")})
    assert made.status_code == 201, made.get_json()
    pk = made.get_json()["id"]
    entry = the_one(app, start, "release.created")
    assert_actor(app, entry, STAFF, STAFF_ROLE, kind="api")
    assert (entry.object_type, entry.object_id, entry.object_name) == ("release", pk, title)
    assert entry.changes["title"] == [None, title]
    assert entry.changes["status"] == [None, "draft"]
    assert entry.changes["platforms"] == [None, ["spotify", "deezer"]]
    assert not any(MASK in json.dumps(value) for value in entry.changes.values())

