"""A/B tests of a release's fan page through /api/v1/releases/<id>/variants: variants made,
changed and removed while the test is a draft, frozen while it runs, and the winner's artwork
and words made the release's own; refusals with their reasons; Artist users read only."""
import io

import pytest
from sqlalchemy import select

from app.models import Release
from tests.images import image_bytes
from tests.release_day_runs import ctx


@pytest.fixture
def release_id(app, active_release):
    slug = active_release()
    with ctx(app) as session:
        return session.scalar(select(Release.id).where(Release.slug == slug))


def url(release_id, rest=""):
    return f"/api/v1/releases/{release_id}/variants{rest}"


def test_staff_build_run_and_decide_a_test(app, api, release_id):
    client, headers = api("staff@northwind.test")
    assert client.get(url(release_id), headers=headers).get_json() == {
        "release_id": release_id, "test": None, "variants": []}
    made = client.post(url(release_id), headers=headers,
                       json={"name": "Night sky", "headline": "Out at midnight"})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["test"]["state"] == "draft"
    assert [(v["key"], v["name"], v["headline"], v["share"]) for v in body["variants"]] == [
        ("A", "The release as it is", None, 0.5), ("B", "Night sky", "Out at midnight", 0.5)]
    third = client.post(url(release_id), headers=headers, json={"name": "Bold", "weight": 2})
    assert [v["share"] for v in third.get_json()["variants"]] == [0.25, 0.25, 0.5]
    changed = client.put(url(release_id, "/B"), headers=headers,
                         json={"description": "Recorded in one night in Reykjavík."})
    assert changed.status_code == 200
    (b,) = [v for v in changed.get_json()["variants"] if v["key"] == "B"]
    assert (b["headline"], b["description"]) == ("Out at midnight",
                                                 "Recorded in one night in Reykjavík.")
    assert client.delete(url(release_id, "/C"), headers=headers).status_code == 200
    artwork = client.put(url(release_id, "/B/artwork"), headers=headers, data={
        "artwork": (io.BytesIO(image_bytes((640, 640))), "night.png")})
    assert artwork.status_code == 200, artwork.get_json()
    (b,) = [v for v in artwork.get_json()["variants"] if v["key"] == "B"]
    assert b["artwork_url"].startswith("/media/")
    assert client.get(b["artwork_url"]).status_code == 200

    started = client.post(url(release_id, "/test"), headers=headers, json={"action": "start"})
    assert started.status_code == 200 and started.get_json()["test"]["state"] == "running"
    assert started.get_json()["test"]["started_at"]
    frozen = client.put(url(release_id, "/B"), headers=headers, json={"headline": "Changed"})
    assert frozen.status_code == 409
    assert "stop this test and start another" in frozen.get_json()["message"]
    assert client.post(url(release_id), headers=headers,
                       json={"name": "Late"}).status_code == 409

    decided = client.post(url(release_id, "/test"), headers=headers,
                          json={"action": "choose_winner", "winner": "B"})
    assert decided.status_code == 200
    assert (decided.get_json()["test"]["state"], decided.get_json()["test"]["winner"]) == (
        "winner_chosen", "B")
    release = client.get(f"/api/v1/releases/{release_id}", headers=headers).get_json()["result"]
    assert (release["headline"], release["description"]) == (
        "Out at midnight", "Recorded in one night in Reykjavík.")
    assert release["artwork_url"] == b["artwork_url"]
    again = client.post(url(release_id), headers=headers, json={"name": "Next idea"})
    assert again.status_code == 201  # a decided test is history: a new draft opens
    assert [v["key"] for v in again.get_json()["variants"]] == ["A", "B"]
    assert again.get_json()["test"]["id"] != decided.get_json()["test"]["id"]


@pytest.mark.parametrize("path, method, body, status, said", [
    ("", "POST", {"name": ""}, 422, "Name the variant"),
    ("", "POST", {"name": "x" * 81}, 422, "at most 80"),
    ("", "POST", {"name": "Ok", "weight": 0}, 422, "from 1 to 100"),
    ("", "POST", {"name": "Ok", "weight": 101}, 422, "from 1 to 100"),
    ("", "POST", {"name": "Ok", "weight": "2"}, 422, "Not a valid integer"),
    ("", "POST", {"name": "Ok", "weight": True}, 422, "Not a valid integer"),
    ("", "POST", {"name": "Ok", "headline": "h" * 121}, 422, "at most 120"),
    ("", "POST", {"name": "Ok", "surprise": 1}, 422, "Unknown field"),
    ("", "POST", ["not", "an", "object"], 422, "Send a JSON object"),
    ("/Z", "PUT", {"name": "Ok"}, 404, "No variant Z"),
    ("/A", "PUT", {"headline": "Other"}, 409, "Variant A is the release as it is"),
    ("/A", "DELETE", None, 409, "stays in every test"),
    ("/test", "POST", {"action": "explode"}, 422, "Must be one of"),
    ("/test", "POST", {"action": "choose_winner"}, 422, "Name the winning variant"),
    ("/test", "POST", {"action": "choose_winner", "winner": "B"}, 409, "running or stopped"),
    ("/test", "POST", {"action": "choose_winner", "winner": "E"}, 422, "Must be one of"),
    ("/test", "POST", {"action": "stop"}, 409, "No test is running"),
])
def test_refusals_say_why_and_change_nothing(app, api, release_id, path, method, body, status,
                                             said):
    client, headers = api("staff@northwind.test")
    assert client.post(url(release_id), headers=headers, json={"name": "B"}).status_code == 201
    before = client.get(url(release_id), headers=headers).get_json()
    answer = client.open(url(release_id, path), method=method, json=body, headers=headers)
    assert answer.status_code == status, answer.get_json()
    assert said in str(answer.get_json()["message"])
    assert client.get(url(release_id), headers=headers).get_json() == before


def test_a_test_needs_a_variant_and_a_released_release_takes_none(app, api, release_id):
    client, headers = api("staff@northwind.test")
    nothing = client.post(url(release_id, "/test"), headers=headers, json={"action": "start"})
    assert nothing.status_code == 409 and "no draft" in nothing.get_json()["message"]
    with ctx(app) as session:
        session.get(Release, release_id).status = "released"
        session.commit()
    late = client.post(url(release_id), headers=headers, json={"name": "Too late"})
    assert late.status_code == 409
    assert "not tested any more" in late.get_json()["message"]


def test_four_variants_at_most(app, api, release_id):
    client, headers = api("staff@northwind.test")
    for name in ("B", "C", "D"):
        assert client.post(url(release_id), headers=headers,
                           json={"name": name}).status_code == 201
    fifth = client.post(url(release_id), headers=headers, json={"name": "E"})
    assert fifth.status_code == 409 and "at most 4 variants" in fifth.get_json()["message"]


def test_artist_users_read_the_test_and_change_nothing(app, api, release_id):
    staff, staff_headers = api("staff@northwind.test")
    staff.post(url(release_id), headers=staff_headers, json={"name": "Night sky"})
    artist, headers = api("artist@northwind.test")
    read = artist.get(url(release_id), headers=headers)
    assert read.status_code == 200 and len(read.get_json()["variants"]) == 2
    for method, path, body in (("POST", "", {"name": "Mine"}), ("PUT", "/B", {"name": "x"}),
                               ("DELETE", "/B", None), ("POST", "/test", {"action": "start"})):
        answer = artist.open(url(release_id, path), method=method, json=body, headers=headers)
        assert answer.status_code == 403, (method, path)


def test_a_running_test_stops_when_the_release_comes_out(app, api, login, release_id):
    client, headers = api("staff@northwind.test")
    client.post(url(release_id), headers=headers, json={"name": "Night sky"})
    client.post(url(release_id, "/test"), headers=headers, json={"action": "start"})
    out = login("staff@northwind.test").post(f"/releases/release_now/{release_id}")
    assert out.status_code == 302
    test = client.get(url(release_id), headers=headers).get_json()["test"]
    assert test["state"] == "stopped" and test["stopped_at"]
    decided = client.post(url(release_id, "/test"), headers=headers,
                          json={"action": "choose_winner", "winner": "A"})
    assert decided.get_json()["test"]["state"] == "winner_chosen"  # staff may still decide
