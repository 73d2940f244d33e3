"""The admin's pages send a Content-Security-Policy FAB's pages work under (checked in the
browser by the e2e tests); the fan pages keep their own, with nonces."""
import pytest


@pytest.mark.parametrize("path", ["/login/", "/releases/list/", "/artists/add", "/analytics/"])
def test_admin_pages_allow_only_this_origin(login, path):
    response = login("staff@northwind.test").get(path, follow_redirects=True)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy and "form-action 'self'" in policy
    assert "http" not in policy  # no other origin for scripts, styles, images or fetches
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_fan_pages_keep_their_nonce_policy(client):
    policy = client.get("/s/aurora-vale/midnight-drive").headers["Content-Security-Policy"]
    assert "'nonce-" in policy and "'unsafe-inline'" not in policy
