"""The ad platforms' conversion APIs: the Meta and TikTok clients against the sandbox's
stand-ins (in process, through WSGI, as a worker reaches them), and the stand-ins' own rules
through the test client. Each test sends to its own pixel, as the run's Redis is shared."""
import json
import uuid
from collections import Counter
from datetime import timedelta

import httpx
import pytest

from app.errors import MAX_JSON_BYTES
from app.integrations import meta_capi, tiktok_events
from app.integrations.conversions import MAX_EVENTS, Conversion, ConversionError
from app.integrations.outside import OWN_JSON_LIMIT, base_url, batches, retry_after
from app.integrations.hashing import hashed_email, hashed_phone, is_sha256, sha256
from app.localtime import now_utc
from app.sandbox import meta, state, tiktok
from tests.platform_sandbox import config

EMAIL, PHONE = "  Fan@Example.COM ", "+447700900123"
EMAIL_SHA, PHONE_SHA = sha256("fan@example.com"), sha256("447700900123")
PAGE = "https://presave.test/s/aurora-vale/flow-song"
AGENT = "Mozilla/5.0 (sandbox fan)"
META_EVENTS = f"/sandbox/meta/{meta.API_VERSION}/{{}}/events"
TIKTOK_TRACK = "/sandbox/tiktok/open_api/v1.3/event/track/"


@pytest.fixture
def stand_ins(app):
    """The clients' default in a development install: the sandbox, in process. Faults off
    after."""
    with app.app_context(), config(app, SANDBOX_ENABLED=True, SANDBOX_IN_PROCESS=True,
                                   META_GRAPH_URL=None, TIKTOK_EVENTS_URL=None):
        yield
        for service in ("meta", "tiktok"):
            state.clear_faults(service)


def meta_pixel():
    return str(uuid.uuid4().int)[:16]


def tiktok_pixel():
    return uuid.uuid4().hex[:20].upper()


def lead(**changes):
    fields = {"event_id": uuid.uuid4().hex, "event_name": "Lead", "event_time": now_utc(),
              "event_source_url": PAGE, "email": EMAIL, "phone": PHONE,
              "client_ip": "203.0.113.7", "client_user_agent": AGENT, "country": "GB"}
    return Conversion(**{**fields, **changes})


def send_meta(pixel, conversions, token=meta.SANDBOX_TOKEN, **options):
    return meta_capi.send(pixel, token, conversions, **options)


def send_tiktok(pixel, conversions, token=tiktok.SANDBOX_TOKEN, **options):
    return tiktok_events.send(pixel, token, conversions, **options)


def refusal(send, *args, **kwargs):
    with pytest.raises(ConversionError) as caught:
        send(*args, **kwargs)
    return caught.value


# --- hashing and settings ------------------------------------------------

def test_contact_details_are_normalised_before_hashing():
    assert hashed_email(EMAIL) == EMAIL_SHA
    assert hashed_phone(PHONE) == hashed_phone("0044 7700 900123") == PHONE_SHA
    assert hashed_email("  ") is None and hashed_phone("+") is None
    assert is_sha256(EMAIL_SHA) and not is_sha256(EMAIL_SHA.upper())
    assert not is_sha256("fan@example.com") and not is_sha256(None)


def test_a_conversion_needs_an_aware_time_and_keeps_contacts_out_of_its_repr():
    with pytest.raises(ValueError):
        lead(event_time=now_utc().replace(tzinfo=None))
    shown = repr(lead())
    assert "xample" not in shown and "7700" not in shown and "203.0.113.7" not in shown


def test_the_base_url_is_the_setting_else_the_sandbox_else_the_real_api():
    real, path = "https://graph.facebook.com/v21.0", "/sandbox/meta/v21.0"
    base = {"PUBLIC_BASE_URL": "https://presave.test/"}
    assert base_url({**base, "META_GRAPH_URL": "https://proxy.test"}, "META_GRAPH_URL", path,
                    real) == "https://proxy.test"
    assert base_url({**base, "SANDBOX_ENABLED": True}, "META_GRAPH_URL", path,
                    real) == "https://presave.test/sandbox/meta/v21.0"
    assert base_url({**base, "SANDBOX_ENABLED": False}, "META_GRAPH_URL", path, real) == real


def test_a_retry_after_is_read_as_seconds_only():
    def wait(value):
        return retry_after(httpx.Response(429, headers={"Retry-After": value}))
    assert (wait("7"), wait("1.5"), wait("-3")) == (7.0, 1.5, 0.0)
    assert retry_after(httpx.Response(429)) is None  # none given: each client decides
    for value in ("soon", "Wed, 21 Oct 2015 07:28:00 GMT", "inf", "nan"):
        assert wait(value) is None


# --- a good lead ---------------------------------------------------------

def test_a_lead_reaches_meta_hashed(stand_ins):
    pixel = meta_pixel()
    conversion = lead()
    answer = send_meta(pixel, [conversion], test_event_code="TEST123")
    assert answer["events_received"] == 1 and answer["messages"] == []
    (kept,) = meta.received(pixel)
    assert kept["test_event_code"] == "TEST123" and kept["fbtrace_id"] == answer["fbtrace_id"]
    event = kept["event"]
    assert event == {"event_name": "Lead", "event_time": conversion.unix_time,
                     "event_id": conversion.event_id, "action_source": "website",
                     "event_source_url": PAGE,
                     "user_data": {"em": [EMAIL_SHA], "ph": [PHONE_SHA], "country": [sha256("gb")],
                                   "client_ip_address": "203.0.113.7",
                                   "client_user_agent": AGENT}}
    stored = json.dumps(kept).lower()
    assert "fan@example.com" not in stored and "7700900123" not in stored
    assert meta.SANDBOX_TOKEN not in stored


def test_a_lead_reaches_tiktok_hashed(stand_ins):
    pixel = tiktok_pixel()
    conversion = lead(country=None)
    answer = send_tiktok(pixel, [conversion], test_event_code="TEST456")
    assert answer["code"] == 0 and answer["message"] == "OK" and answer["request_id"]
    (kept,) = tiktok.received(pixel)
    assert kept["test_event_code"] == "TEST456" and kept["request_id"] == answer["request_id"]
    assert kept["event"] == {"event": "Lead", "event_time": conversion.unix_time,
                             "event_id": conversion.event_id,
                             "user": {"email": EMAIL_SHA, "phone": PHONE_SHA,
                                      "ip": "203.0.113.7", "user_agent": AGENT},
                             "page": {"url": PAGE}}
    stored = json.dumps(kept).lower()
    assert "fan@example.com" not in stored and "7700900123" not in stored


def test_a_lead_with_only_an_email_goes_without_the_rest(stand_ins):
    pixel = meta_pixel()
    send_meta(pixel, [lead(phone=None, client_ip=None, country=None)])
    assert set(meta.received(pixel)[0]["event"]["user_data"]) == {"em", "client_user_agent"}


# --- refusals ------------------------------------------------------------

@pytest.mark.parametrize("missing, param", [
    ({"event_source_url": ""}, "event_source_url"),
    ({"client_user_agent": None}, "client_user_agent")])
def test_meta_refuses_a_website_event_without_its_page_or_user_agent(stand_ins, missing, param):
    pixel = meta_pixel()
    error = refusal(send_meta, pixel, [lead(**missing)])
    assert (error.retryable, error.status, error.code) == (False, 400, 100)
    assert f"[{param}] is required" in str(error)
    assert meta.received(pixel) == []


def test_an_eight_day_old_event_fails_the_whole_request(stand_ins):
    old = now_utc() - timedelta(days=8)
    pixel = meta_pixel()
    error = refusal(send_meta, pixel, [lead(), lead(event_time=old)])
    assert (error.retryable, error.status, error.code) == (False, 400, 100)
    assert "too far in the past" in str(error)
    assert "2804003" in error.body_excerpt  # Graph's subcode for a timestamp too old
    assert meta.received(pixel) == []
    pixel = tiktok_pixel()
    error = refusal(send_tiktok, pixel, [lead(), lead(event_time=old)])
    assert (error.retryable, error.status, error.code) == (False, 200, 40002)
    assert "data.1.event_time" in str(error) and "out of range" in str(error)
    assert tiktok.received(pixel) == []


def test_meta_refuses_an_event_from_the_future(stand_ins):
    error = refusal(send_meta, meta_pixel(), [lead(event_time=now_utc() + timedelta(hours=2))])
    assert not error.retryable and "in the future" in str(error)


def test_a_wrong_token_is_not_retried_and_never_shown(stand_ins):
    secret = "EAAB-not-the-sandbox-token-" + uuid.uuid4().hex
    error = refusal(send_meta, meta_pixel(), [lead()], token=secret)
    assert (error.retryable, error.status, error.code) == (False, 400, 190)
    assert "[redacted]" in error.body_excerpt  # Meta echoes a malformed token back
    assert secret not in str(error) and secret not in error.body_excerpt
    error = refusal(send_tiktok, tiktok_pixel(), [lead()], token=secret)
    assert (error.retryable, error.code) == (False, 40105)
    assert secret not in str(error) and secret not in error.body_excerpt
    assert len(error.body_excerpt) <= 300
    error = refusal(send_tiktok, tiktok_pixel(), [lead()], token="tökén-" + secret)
    assert not error.retryable and secret not in str(error)


def test_a_missing_token_is_refused(client, stand_ins):
    pixel = meta_pixel()
    answer = client.post(META_EVENTS.format(pixel), json={"data": [meta_event()]})
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert (error["code"], error["type"], error["is_transient"]) == (190, "OAuthException", False)
    assert error["message"] == "Invalid OAuth access token - Cannot parse access token"
    assert error["fbtrace_id"]
    answer = client.post(TIKTOK_TRACK, json=tiktok_body(tiktok_pixel()))
    assert answer.status_code == 200 and answer.get_json()["code"] == 40104


def meta_event(**changes):
    event = {"event_name": "Lead", "event_time": int(now_utc().timestamp()),
             "event_id": uuid.uuid4().hex, "action_source": "website",
             "event_source_url": PAGE,
             "user_data": {"em": [EMAIL_SHA], "client_user_agent": AGENT}}
    return {**event, **changes}


def post_meta(client, pixel, *events, token=meta.SANDBOX_TOKEN):
    answer = client.post(META_EVENTS.format(pixel), json={"data": list(events),
                                                          "access_token": token})
    return answer.status_code, answer.get_json()


@pytest.mark.parametrize("user_data, subcode, says", [
    ({"em": ["fan@example.com"], "client_user_agent": AGENT}, 2804019,
     "[user_data][em] must be hashed with SHA256"),
    ({"ph": "447700900123", "client_user_agent": AGENT}, 2804019,
     "[user_data][ph] must be hashed with SHA256"),
    ({"client_user_agent": AGENT}, None, "at least one customer information parameter")])
def test_meta_refuses_unhashed_or_missing_customer_data(client, stand_ins, user_data, subcode,
                                                         says):
    pixel = meta_pixel()
    status, body = post_meta(client, pixel, meta_event(), meta_event(user_data=user_data))
    assert status == 400 and body["error"]["code"] == 100
    assert body["error"].get("error_subcode") == subcode and says in body["error"]["message"]
    assert "data[1]" in body["error"]["message"]
    assert meta.received(pixel) == []


@pytest.mark.parametrize("events, says", [
    ([], "The parameter data is required"),
    ([meta_event(event_name=None)], "[event_name] is required"),
    ([meta_event(event_time="yesterday")], "[event_time] must be an integer"),
    ([{}] * 1001, "at most 1000")])
def test_meta_refuses_a_malformed_batch(client, stand_ins, events, says):
    status, body = post_meta(client, meta_pixel(), *events)
    assert status == 400 and body["error"]["code"] == 100 and says in body["error"]["message"]


def test_meta_refuses_a_pixel_id_that_is_not_digits(client, stand_ins):
    status, body = post_meta(client, "my-pixel", meta_event())
    assert (status, body["error"]["code"], body["error"]["error_subcode"]) == (400, 100, 33)
    assert "Object with ID 'my-pixel' does not exist" in body["error"]["message"]


def tiktok_body(pixel, *events, **changes):
    event = {"event": "Lead", "event_time": int(now_utc().timestamp()),
             "event_id": uuid.uuid4().hex, "user": {"email": EMAIL_SHA},
             "page": {"url": PAGE}}
    return {"event_source": "web", "event_source_id": pixel, "data": list(events) or [event],
            **changes}


def post_tiktok(client, body, path=TIKTOK_TRACK, token=tiktok.SANDBOX_TOKEN):
    answer = client.post(path, json=body, headers={"Access-Token": token})
    assert answer.status_code == 200  # TikTok's answer is in the body, whatever it is
    return answer.get_json()


@pytest.mark.parametrize("changes, says", [
    ({"event_source": "app"}, "event_source: must be web"),
    ({"event_source_id": "lower-case-pixel"}, "event_source_id:"),
    ({"data": [{"event": "Lead", "event_time": 0, "user": {"email": "fan@example.com"}}]},
     "data.0.event_time"),
    ({"data": [{"event": "Lead", "event_time": int(now_utc().timestamp()),
                "user": {"email": "fan@example.com"}}]},
     "data.0.user.email: must be hashed with SHA256"),
    ({"data": [{"event_time": int(now_utc().timestamp())}]}, "data.0.event: Missing data"),
    ({"data": []}, "data: Missing data")])
def test_tiktok_refuses_what_tiktok_refuses(client, stand_ins, changes, says):
    pixel = tiktok_pixel()
    body = post_tiktok(client, {**tiktok_body(pixel), **changes})
    assert body["code"] == 40002 and says in body["message"]
    assert body["data"] == {} and body["request_id"]
    assert tiktok.received(pixel) == []


def test_tiktok_takes_the_path_without_its_trailing_slash(client, stand_ins):
    pixel = tiktok_pixel()
    assert post_tiktok(client, tiktok_body(pixel), path=TIKTOK_TRACK.rstrip("/"))["code"] == 0
    assert len(tiktok.received(pixel)) == 1


# --- dedup and batches ---------------------------------------------------

def test_the_same_event_id_is_kept_once(stand_ins):
    conversion = lead()
    pixel = meta_pixel()
    assert send_meta(pixel, [conversion])["events_received"] == 1
    assert send_meta(pixel, [conversion])["events_received"] == 1  # counted, as Meta does
    assert len(meta.received(pixel)) == 1 and meta.deduplicated(pixel) == 1
    send_meta(pixel, [lead(event_id=conversion.event_id, event_name="PageView")])
    assert len(meta.received(pixel)) == 2  # another event under the same id
    pixel = tiktok_pixel()
    send_tiktok(pixel, [conversion])
    send_tiktok(pixel, [conversion])
    assert len(tiktok.received(pixel)) == 1 and tiktok.deduplicated(pixel) == 1


def test_over_a_thousand_events_go_in_two_requests():
    assert [len(run) for run in batches([{"event": "Lead"}] * 1001, MAX_EVENTS)] == [1000, 1]


def test_requests_to_this_apps_own_sandbox_also_stay_under_its_json_limit():
    assert OWN_JSON_LIMIT == MAX_JSON_BYTES  # the clients' copy of this app's own limit
    events = [{"padding": "x" * 1000}] * 600
    runs = list(batches(events, MAX_EVENTS, OWN_JSON_LIMIT))
    assert len(runs) == 3 and sum(map(len, runs)) == 600
    assert all(len(json.dumps({"data": run}, separators=(",", ":"))) < OWN_JSON_LIMIT
               for run in runs)


def requests_of(kept, field):
    """How many events each request brought, by the request's trace id."""
    return Counter(k[field] for k in kept).values()


def test_over_a_thousand_conversions_all_arrive_in_several_requests(stand_ins):
    conversions = [lead() for _ in range(1001)]
    pixel = meta_pixel()
    assert send_meta(pixel, conversions)["events_received"] == 1001
    kept = meta.received(pixel)
    assert len(kept) == 1001 and len({k["event"]["event_id"] for k in kept}) == 1001
    assert len(requests_of(kept, "fbtrace_id")) >= 2
    assert max(requests_of(kept, "fbtrace_id")) <= 1000
    pixel = tiktok_pixel()
    send_tiktok(pixel, conversions)
    kept = tiktok.received(pixel)
    assert len(kept) == 1001 and max(requests_of(kept, "request_id")) <= 1000


def test_nothing_to_send_sends_nothing(stand_ins):
    assert send_meta(meta_pixel(), []) == {"events_received": 0, "messages": [],
                                           "fbtrace_id": None}
    assert send_tiktok(tiktok_pixel(), [])["code"] == 0


# --- faults --------------------------------------------------------------

def test_meta_throttling_is_retried_after_what_it_asked(stand_ins):
    state.set_faults("meta", rate_429=1.0, retry_after=7)
    pixel = meta_pixel()
    error = refusal(send_meta, pixel, [lead()])
    assert (error.retryable, error.retry_after, error.status, error.code) == (True, 7, 400, 4)
    assert json.loads(error.body_excerpt)["error"]["is_transient"] is True
    assert meta.received(pixel) == []


def test_a_tiktok_burst_is_retried_after_it(stand_ins):
    state.set_faults("tiktok", burst_every_s=3600, burst_for_s=3600)  # a burst all along
    error = refusal(send_tiktok, tiktok_pixel(), [lead()])
    assert (error.retryable, error.status, error.code) == (True, 200, 40100)
    assert 1 <= error.retry_after <= 3600


def test_server_errors_are_retried(stand_ins):
    state.set_faults("meta", rate_5xx=1.0)
    state.set_faults("tiktok", rate_5xx=1.0)
    error = refusal(send_meta, meta_pixel(), [lead()])
    assert (error.retryable, error.status, error.code, error.retry_after) == (True, 503, 2, None)
    error = refusal(send_tiktok, tiktok_pixel(), [lead()])
    assert (error.retryable, error.code) == (True, 50000)


def test_a_service_that_does_not_answer_is_retried(app, stand_ins):
    with config(app, META_GRAPH_URL="http://127.0.0.1:9/v21.0"):  # nothing listens there
        error = refusal(send_meta, meta_pixel(), [lead()])
    assert (error.retryable, error.status) == (True, None)
    assert str(error).startswith("Meta did not answer: ")
