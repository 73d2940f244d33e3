import pytest

from tests.conftest import DEMO_PASSWORDS


@pytest.mark.parametrize("email", sorted(DEMO_PASSWORDS))
def test_demo_login_reaches_the_admin(login, email):
    client = login(email)
    assert client.get("/").status_code == 200


def test_wrong_password_is_refused(client):
    response = client.post("/login/", data={"username": "staff@northwind.test", "password": "nope"})
    assert response.headers["Location"].startswith("/login")


def test_health_reports_database_and_redis(client):
    body = client.get("/health").get_json()
    assert body == {"status": "ok", "database": "ok", "redis": "ok"}
