"""Hostile input at the API's edges is a 4xx with a message, never a 500, and stores nothing."""
import pytest

from app.errors import MAX_JSON_BYTES

ROLES = ["admin@presave.test", "owner@northwind.test", "staff@northwind.test",
         "artist@northwind.test"]
RESOURCES = ["artists", "releases", "fans", "presaves"]


def first_release(client, headers):
    answer = client.get("/api/v1/releases/", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["result"][0], answer.get_json()["ids"][0]


@pytest.mark.parametrize("email", ROLES)
@pytest.mark.parametrize("q", ["1e", "(page:1e)", "!(1e)", "[" * 5000, "(a:" * 3000])
def test_a_query_fab_cannot_parse_is_a_400_on_every_list_info_and_show(api, email, q):
    client, headers = api(email)
    for resource in RESOURCES:
        for path in (f"/api/v1/{resource}/", f"/api/v1/{resource}/_info", f"/api/v1/{resource}/1"):
            answer = client.get(path, headers=headers, query_string={"q": q})
            assert answer.status_code == 400, (path, answer.status_code, answer.get_data()[:200])
            assert answer.get_json()["message"]


def test_a_readable_query_still_works(api):
    client, headers = api("staff@northwind.test")
    answer = client.get("/api/v1/artists/", headers=headers, query_string={"q": "(page_size:1)"})
    assert answer.status_code == 200 and len(answer.get_json()["result"]) == 1


def test_a_lone_surrogate_in_a_json_body_is_a_400_and_changes_nothing(api):
    client, headers = api("staff@northwind.test")
    release, pk = first_release(client, headers)
    answer = client.put(f"/api/v1/releases/{pk}", headers=headers,
                        data='{"title": "A\\ud800B"}', content_type="application/json")
    assert answer.status_code == 400
    assert "not valid Unicode" in answer.get_json()["message"]
    after = client.get(f"/api/v1/releases/{pk}", headers=headers).get_json()["result"]
    assert after["title"] == release["title"]


@pytest.mark.parametrize("body", ["[" * 100_000, '{"a":' * 50_000, "[" * 33 + "]" * 33])
def test_json_nested_deeper_than_the_limit_is_a_400(api, body):
    client, headers = api("staff@northwind.test")
    answer = client.post("/api/v1/artists/", headers=headers, data=body,
                         content_type="application/json")
    assert answer.status_code == 400
    assert "nests deeper" in answer.get_json()["message"]


def test_brackets_inside_strings_do_not_count_as_nesting(api):
    client, headers = api("staff@northwind.test")
    release, pk = first_release(client, headers)
    title = "[[[[{{{{" * 10
    answer = client.put(f"/api/v1/releases/{pk}", headers=headers, json={"title": title})
    assert answer.status_code == 200, answer.get_json()
    client.put(f"/api/v1/releases/{pk}", headers=headers, json={"title": release["title"]})


def test_a_json_body_over_the_limit_is_a_413(api):
    client, headers = api("staff@northwind.test")
    answer = client.post("/api/v1/artists/", headers=headers, content_type="application/json",
                         data='{"name": "' + "x" * MAX_JSON_BYTES + '"}')
    assert answer.status_code == 413
    assert "KB" in answer.get_json()["message"]
