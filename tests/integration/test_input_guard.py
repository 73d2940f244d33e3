"""NUL characters are refused with a 400 everywhere (PostgreSQL cannot hold them)."""


def test_nul_in_a_path_query_form_or_json_body_is_a_400(login, api, client):
    assert client.get("/s/aurora-vale/%00").status_code == 400
    staff = login("staff@northwind.test")
    assert staff.get("/artists/list/?_flt_0_name=a%00b").status_code == 400
    assert staff.post("/artists/add", data={"name": "x\x00y"}).status_code == 400
    api_client, headers = api("staff@northwind.test")
    answer = api_client.post("/api/v1/artists/", headers=headers,
                             data='{"name": "x\\u0000y", "slug": "nul-artist"}',
                             content_type="application/json")
    assert answer.status_code == 400
    assert "NUL character" in answer.get_json()["message"]
