import pytest

from tests.conftest import DEMO_PASSWORDS


HOMES = {"artist@northwind.test": "/my/"}


@pytest.mark.parametrize("email", sorted(DEMO_PASSWORDS))
def test_demo_login_lands_on_its_home(login, email):
    client = login(email)
    home = client.get("/")
    assert home.status_code == 302
    assert home.headers["Location"] == HOMES.get(email, "/overview/")
    assert client.get(home.headers["Location"]).status_code == 200


def test_artist_home_shows_only_their_releases(login):
    page = login("artist@northwind.test").get("/my/").get_data(as_text=True)
    assert "Aurora Vale" in page and "Midnight Drive" in page
    assert "Juniper Kites" not in page and "Neon Tide" not in page


def test_wrong_password_is_refused(client):
    response = client.post("/login/", data={"username": "staff@northwind.test", "password": "nope"})
    assert response.headers["Location"].startswith("/login")


def test_health_reports_database_and_redis(client):
    body = client.get("/health").get_json()
    assert body == {"status": "ok", "database": "ok", "redis": "ok"}
