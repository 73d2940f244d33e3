"""The email marketing clients (Mailchimp, Klaviyo) against the sandbox's stand-ins, over real
HTTP handling in this same app: what a sync job can count on, each list made fresh per test
so no test sees another's members."""
import base64
import uuid

import pytest

from app.integrations import klaviyo, mailchimp
from app.integrations.audiences import Member, SyncError
from app.integrations.outside import ENVELOPE, batches
from app.sandbox import klaviyo as sandbox_klaviyo, mailchimp as sandbox_mailchimp
from app.sandbox import state as sandbox_state

MC_KEY, KL_KEY = sandbox_mailchimp.SANDBOX_KEY, sandbox_klaviyo.SANDBOX_KEY
OUR_FIELDS = ["COUNTRY", "ARTIST", "RELEASE", "PLATFORM", "SOURCE"]


@pytest.fixture
def sandbox(app, monkeypatch):
    """An app context with both tools in sandbox mode; faults cleared after."""
    for name, value in (("SANDBOX_ENABLED", True), ("SANDBOX_IN_PROCESS", True),
                        ("MAILCHIMP_API_URL", None), ("KLAVIYO_API_URL", None)):
        monkeypatch.setitem(app.config, name, value)
    with app.app_context():
        yield
        for service in ("mailchimp", "klaviyo"):
            sandbox_state.clear_faults(service)


def new_list(client, tool):
    answer = client.post(f"/sandbox/{tool}/_lists", json={"name": f"Fans {uuid.uuid4().hex[:6]}"})
    assert answer.status_code == 201
    return answer.get_json()["id"]


@pytest.fixture
def mc_list(client, sandbox):
    return new_list(client, "mailchimp")


@pytest.fixture
def kl_list(client, sandbox):
    return new_list(client, "klaviyo")


def fans(count, **values):
    run = uuid.uuid4().hex[:8]
    return [Member(email=f"fan-{run}-{i:04d}@fans.test", first_name="Fan", last_name=f"N{i}",
                   country="DE", phone="+4915112345678", artist="Aurora Vale",
                   release="Flow Song", platform="spotify", source="instagram",
                   tags=("presave",), **values) for i in range(count)]


def changed(member, **values):
    return Member(**{**member.__dict__, **values})


def basic(key):
    return {"Authorization": "Basic " + base64.b64encode(f"any:{key}".encode()).decode()}


KLAVIYO_HEADERS = {"Authorization": f"Klaviyo-API-Key {KL_KEY}", "revision": "2024-10-15"}


# --- Mailchimp -------------------------------------------------------------------

def test_mailchimp_upsert_creates_then_updates_with_merge_fields_and_tags(client, mc_list):
    assert mailchimp.check(MC_KEY, mc_list).startswith("Fans ")
    assert mailchimp.ensure_merge_fields(MC_KEY, mc_list) == OUR_FIELDS
    assert mailchimp.ensure_merge_fields(MC_KEY, mc_list) == []
    first, second = fans(2)
    assert mailchimp.upsert(MC_KEY, mc_list, [first, second]) == {
        "created": 2, "updated": 0, "errors": []}
    held = sandbox_mailchimp.audience(mc_list)[first.email]
    assert held == {"status": "subscribed", "tags": ["presave"], "merge_fields": {
        "FNAME": "Fan", "LNAME": "N0", "PHONE": "+4915112345678", "COUNTRY": "DE",
        "ARTIST": "Aurora Vale", "RELEASE": "Flow Song", "PLATFORM": "spotify",
        "SOURCE": "instagram"}}
    again = [changed(first, release="Second Song", tags=("early",)), second]
    assert mailchimp.upsert(MC_KEY, mc_list, again) == {"created": 0, "updated": 2, "errors": []}
    held = sandbox_mailchimp.audience(mc_list)[first.email]
    assert held["merge_fields"]["RELEASE"] == "Second Song"
    assert held["tags"] == ["presave", "early"]  # Mailchimp's batch adds tags, never removes


def test_mailchimp_refuses_only_the_member_whose_merge_field_is_missing(client, mc_list):
    made = client.post(f"/sandbox/mailchimp/3.0/lists/{mc_list}/merge-fields",
                       json={"tag": "ARTIST", "name": "Artist", "type": "text"},
                       headers=basic(MC_KEY))
    assert made.status_code == 200
    plain, located = (Member(email=f"{n}-{uuid.uuid4().hex[:6]}@fans.test", artist="Aurora Vale",
                             country=c) for n, c in (("plain", None), ("located", "FR")))
    counts = mailchimp.upsert(MC_KEY, mc_list, [plain, located])
    assert (counts["created"], counts["updated"]) == (1, 0)
    assert counts["errors"] == [{"email": located.email, "message": (
        "Your merge fields were invalid. (COUNTRY: The merge field COUNTRY does not exist in "
        "this audience.)")}]
    assert list(sandbox_mailchimp.audience(mc_list)) == [plain.email]
    single = client.patch(f"/sandbox/mailchimp/3.0/lists/{mc_list}/members/"
                          f"{mailchimp.subscriber_hash(plain.email)}",
                          json={"merge_fields": {"SOURCE": "tiktok"}}, headers=basic(MC_KEY))
    assert single.status_code == 400 and single.mimetype == "application/problem+json"
    assert single.get_json()["errors"] == [
        {"field": "SOURCE", "message": "The merge field SOURCE does not exist in this audience."}]


def test_mailchimp_unsubscribe_sticks_until_status_subscribed_comes(client, mc_list):
    mailchimp.ensure_merge_fields(MC_KEY, mc_list)
    fan, other = fans(2)
    mailchimp.upsert(MC_KEY, mc_list, [fan, other])
    stranger = f"nobody-{uuid.uuid4().hex[:6]}@fans.test"
    assert mailchimp.unsubscribe(MC_KEY, mc_list, [fan.email, stranger]) == [fan.email]
    assert sandbox_mailchimp.audience(mc_list)[fan.email]["status"] == "unsubscribed"
    assert stranger not in sandbox_mailchimp.audience(mc_list)
    # status_if_new alone leaves an unsubscribed member unsubscribed ...
    batch = client.post(f"/sandbox/mailchimp/3.0/lists/{mc_list}", headers=basic(MC_KEY), json={
        "members": [{"email_address": fan.email, "status_if_new": "subscribed"}],
        "update_existing": True})
    assert batch.get_json()["total_updated"] == 1
    assert sandbox_mailchimp.audience(mc_list)[fan.email]["status"] == "unsubscribed"
    # ... the client's status "subscribed" (consent given again) resubscribes
    mailchimp.upsert(MC_KEY, mc_list, [fan])
    assert dict(mailchimp.members(MC_KEY, mc_list)) == {fan.email: "subscribed",
                                                        other.email: "subscribed"}


def test_mailchimp_refuses_to_reimport_an_address_deleted_for_good(client, mc_list):
    mailchimp.ensure_merge_fields(MC_KEY, mc_list)
    fan, other = fans(2)
    mailchimp.upsert(MC_KEY, mc_list, [fan, other])
    assert mailchimp.delete_permanently(MC_KEY, mc_list, fan.email) is True
    assert mailchimp.delete_permanently(MC_KEY, mc_list, fan.email) is False
    counts = mailchimp.upsert(MC_KEY, mc_list, [fan, other])
    assert counts["updated"] == 1 and counts["created"] == 0
    assert counts["errors"] == [{"email": fan.email, "message": (
        f"{fan.email} was permanently deleted and cannot be re-imported. The contact must "
        "re-subscribe to get back on the list.")}]
    assert list(sandbox_mailchimp.audience(mc_list)) == [other.email]
    with pytest.raises(SyncError) as gone:  # a missing member is fine, a missing audience not
        mailchimp.delete_permanently(MC_KEY, "nosuchlist", fan.email)
    assert gone.value.status == 404


def test_mailchimp_batches_of_500_and_pages_of_1000(client, mc_list):
    mailchimp.ensure_merge_fields(MC_KEY, mc_list)
    many = fans(1200)
    counts = mailchimp.upsert(MC_KEY, mc_list, many)
    assert counts == {"created": 1200, "updated": 0, "errors": []}
    assert sandbox_mailchimp.calls(mc_list) == [("batch", 500), ("batch", 500), ("batch", 200)]
    listed = list(mailchimp.members(MC_KEY, mc_list))
    assert len(listed) == 1200
    assert {email for email, _ in listed} == {m.email for m in many}
    assert {status for _, status in listed} == {"subscribed"}


def test_the_mailchimp_stand_in_refuses_what_mailchimp_refuses(client, mc_list):
    url = f"/sandbox/mailchimp/3.0/lists/{mc_list}"
    refused = client.get(url, headers=basic("wrong-us0"))
    assert refused.status_code == 401 and refused.get_json()["title"] == "API Key Invalid"
    too_many = [{"email_address": f"x{i}@fans.test", "status": "subscribed"} for i in range(501)]
    answer = client.post(url, json={"members": too_many}, headers=basic(MC_KEY))
    assert answer.status_code == 400 and answer.get_json()["title"] == "Invalid Resource"
    assert sandbox_mailchimp.calls(mc_list) == []
    lists = client.get("/sandbox/mailchimp/_lists").get_json()["lists"]
    assert mc_list in [made["id"] for made in lists]


# --- Klaviyo ---------------------------------------------------------------------

def test_klaviyo_upsert_imports_properties_and_subscribes(kl_list):
    assert klaviyo.check(KL_KEY, kl_list).startswith("Fans ")
    first, second = fans(2)
    answer = klaviyo.upsert(KL_KEY, kl_list, [first, second])
    assert answer["profiles"] == 2 and len(answer["import_jobs"]) == 1
    held = sandbox_klaviyo.audience(kl_list)[first.email]
    assert held == {"subscribed": True, "first_name": "Fan", "last_name": "N0",
                    "phone_number": "+4915112345678", "location": {"country": "DE"},
                    "properties": {"artist": "Aurora Vale", "release": "Flow Song",
                                   "platform": "spotify", "source": "instagram",
                                   "presave_tags": ["presave"]}}
    klaviyo.upsert(KL_KEY, kl_list, [changed(first, release="Second Song", tags=("early",),
                                             platform=None)])
    properties = sandbox_klaviyo.audience(kl_list)[first.email]["properties"]
    assert properties["release"] == "Second Song"
    assert properties["presave_tags"] == ["early"]  # a property is replaced as a whole
    assert properties["platform"] == "spotify"  # a value left out is kept
    assert sandbox_klaviyo.calls(kl_list) == [("import", 2), ("subscribe", 2), ("import", 1),
                                              ("subscribe", 1)]


def test_klaviyo_unsubscribe_and_erasure(kl_list, client):
    fan, erased, kept = fans(3)
    klaviyo.upsert(KL_KEY, kl_list, [fan, erased, kept])
    assert klaviyo.unsubscribe(KL_KEY, kl_list, [fan.email]) == 1
    assert sandbox_klaviyo.profile(fan.email)["consent"] == "UNSUBSCRIBED"
    klaviyo.delete_permanently(KL_KEY, erased.email)
    assert sandbox_klaviyo.profile(erased.email) is None
    assert list(sandbox_klaviyo.audience(kl_list)) == [kept.email]
    assert list(klaviyo.members(KL_KEY, kl_list)) == [(kept.email, True)]
    # an import alone puts a profile on the list without consent; the listing says so
    other = new_list(client, "klaviyo")
    klaviyo.upsert(KL_KEY, other, [kept])
    klaviyo.unsubscribe(KL_KEY, kl_list, [kept.email])  # consent is the account's
    assert dict(klaviyo.members(KL_KEY, other)) == {kept.email: False}


def test_klaviyo_jobs_and_pages_within_its_limits(kl_list):
    many = fans(1200)
    answer = klaviyo.upsert(KL_KEY, kl_list, many)
    calls = sandbox_klaviyo.calls(kl_list)
    imports = [size for job, size in calls if job == "import"]
    assert sum(imports) == 1200 and len(imports) == len(answer["import_jobs"]) >= 2
    assert [size for job, size in calls if job == "subscribe"] == [1000, 200]
    listed = list(klaviyo.members(KL_KEY, kl_list))
    assert len(listed) == 1200 and {s for _, s in listed} == {True}
    assert {email for email, _ in listed} == {m.email for m in many}
    assert klaviyo.unsubscribe(KL_KEY, kl_list, [m.email for m in many[:150]]) == 150
    assert sandbox_klaviyo.calls(kl_list)[-2:] == [("unsubscribe", 100), ("unsubscribe", 50)]
    assert len(list(klaviyo.members(KL_KEY, kl_list))) == 1050


def test_the_klaviyo_stand_in_refuses_what_klaviyo_refuses(client, kl_list):
    url = f"/sandbox/klaviyo/api/lists/{kl_list}/"
    no_key = client.get(url, headers={"revision": "2024-10-15"})
    assert no_key.status_code == 401
    assert no_key.get_json()["errors"][0]["code"] == "not_authenticated"
    no_revision = client.get(url, headers={"Authorization": f"Klaviyo-API-Key {KL_KEY}"})
    assert no_revision.status_code == 400
    error = no_revision.get_json()["errors"][0]
    assert error["code"] == "invalid" and "revision" in error["detail"]
    too_many = {"data": {"type": "profile-subscription-bulk-delete-job", "attributes": {
        "profiles": {"data": [{"type": "profile", "attributes": {"email": f"x{i}@fans.test"}}
                              for i in range(101)]}}}}
    answer = client.post("/sandbox/klaviyo/api/profile-subscription-bulk-delete-jobs/",
                         json=too_many, headers=KLAVIYO_HEADERS)
    assert answer.status_code == 400 and answer.get_json()["errors"][0]["code"] == "invalid"
    klaviyo.upsert(KL_KEY, kl_list, fans(3))
    page = client.get(f"{url}profiles/?page[size]=2", headers=KLAVIYO_HEADERS).get_json()
    assert len(page["data"]) == 2
    assert page["links"]["next"].startswith(f"http://localhost{url}profiles/?")  # absolute
    assert "page%5Bcursor%5D=" in page["links"]["next"]


# --- both ------------------------------------------------------------------------

CLIENTS = {"mailchimp": (mailchimp, MC_KEY, "0123456789abcdef0123456789abcdef-us0"),
           "klaviyo": (klaviyo, KL_KEY, "pk_0123456789abcdef0123456789abcdef01")}


@pytest.fixture(params=sorted(CLIENTS))
def tool(request, client, sandbox):
    module, key, wrong = CLIENTS[request.param]
    return request.param, module, key, wrong, new_list(client, request.param)


def test_a_refused_key_asks_for_reconnection_and_is_never_repeated(tool):
    name, module, _, wrong, list_id = tool
    with pytest.raises(SyncError) as refused:
        module.check(wrong, list_id)
    error = refused.value
    assert (error.status, error.auth, error.retryable) == (401, True, False)
    for text in (str(error), error.body_excerpt):
        assert wrong not in text and wrong.partition("-")[0] not in text
    assert 0 < len(error.body_excerpt) <= 300


def test_an_unknown_list_is_not_worth_retrying(tool):
    name, module, key, _, _ = tool
    with pytest.raises(SyncError) as missing:
        module.check(key, "nosuchlist")
    assert (missing.value.status, missing.value.auth, missing.value.retryable) == (
        404, False, False)


def test_a_burst_of_429s_says_when_to_come_back(tool):
    name, module, key, _, list_id = tool
    sandbox_state.set_faults(name, burst_every_s=60, burst_for_s=60)  # all of every minute
    before = sandbox_state.injected(name).get("burst_429", 0)
    with pytest.raises(SyncError) as throttled:
        module.upsert(key, list_id, fans(3))
    error = throttled.value
    assert (error.status, error.retryable, error.auth) == (429, True, False)
    assert 1 <= error.retry_after <= 60
    assert sandbox_state.injected(name)["burst_429"] == before + 1
    sandbox_state.clear_faults(name)
    assert module.check(key, list_id).startswith("Fans ")


def test_a_mailchimp_key_without_its_data_centre_goes_nowhere(app, monkeypatch, sandbox):
    monkeypatch.setitem(app.config, "SANDBOX_ENABLED", False)
    with pytest.raises(SyncError) as refused:  # no data centre: no host to send the key to
        mailchimp.check("0123456789abcdef0123456789abcdef", "list")
    assert refused.value.auth and "0123456789abcdef" not in str(refused.value)


def test_batches_keep_to_the_count_and_the_body_size():
    items = [{"email": f"{i:03d}@fans.test", "pad": "x" * 80} for i in range(30)]
    assert [len(run) for run in batches(items, 12)] == [12, 12, 6]
    sized = list(batches(items, 100, max_bytes=ENVELOPE + 1000))
    assert sum(map(len, sized)) == 30 and max(map(len, sized)) < 12
