"""deploy/Caddyfile in front of the app, as shipped: a real Caddy (its internal CA standing in
for Let's Encrypt) before the session app on loopback. Each label's active domain gets its own
certificate on demand and serves that label's fan pages only; a hostname the app does not
vouch for gets no certificate; the domain check's token answers over plain HTTP."""
import gzip
import logging
import re
import ssl
import uuid

import pytest

from tests import caddy_front
from tests.caddy_front import INSTANCE_HOST
from tests.custom_domains import add_domain, remove_domain
from tests.own_label import make_label, new_release

caddy, labels = caddy_front.caddy, caddy_front.labels  # the module's fixtures


def _no_certificate(caddy, host):
    with pytest.raises(ssl.SSLError):
        caddy.certificate(host)
    with pytest.raises(ssl.SSLError):
        caddy.get(host, "/")


def test_each_domain_serves_its_labels_page_with_its_own_certificate(caddy, labels):
    for label in labels.values():
        certificate = caddy.certificate(label["host"])
        assert certificate["subjectAltName"] == (("DNS", label["host"]),)
        page = caddy.get(label["host"], label["page"])
        assert page.status == 200, page.text
        assert f'action="{label["page"]}/presave"' in page.text
        assert page.headers["content-type"].startswith("text/html")


def test_another_labels_artist_is_not_found_on_a_domain(caddy, labels):
    north, south = labels["North"], labels["South"]
    assert caddy.get(north["host"], south["page"]).status == 404
    assert caddy.get(north["host"], f"/{south['artist']}").status == 404
    assert caddy.get(south["host"], north["page"]).status == 404


@pytest.mark.parametrize("path", ["/admin/", "/api/v1/releases/", "/login/"])
def test_the_admin_and_the_api_are_not_on_a_domain(caddy, labels, path):
    assert caddy.get(labels["North"]["host"], path).status == 404


def test_a_hostname_that_is_no_active_domain_gets_no_certificate(app, caddy, labels, caplog):
    unknown = f"nobody-{uuid.uuid4().hex[:8]}.north.test"
    pending, _ = add_domain(app, labels["North"]["label_id"], state="pending")
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        _no_certificate(caddy, unknown)
        _no_certificate(caddy, pending)
    for host in (unknown, pending):  # Caddy asked the app (its access log), which said no
        assert re.search(rf"GET /internal/tls-ask\?domain={re.escape(host)} \S+ 404", caplog.text)


def test_the_domain_check_reads_its_token_over_plain_http(app, caddy, labels):
    pending, token = add_domain(app, labels["South"]["label_id"], state="pending")
    proof = caddy.get(pending, f"/.well-known/presave-verify/{token}", scheme="http")
    assert (proof.status, proof.text) == (200, token)
    assert caddy.get(pending, "/.well-known/presave-verify/wrong", scheme="http").status == 404


def test_plain_http_goes_to_https(caddy, labels):
    label = labels["North"]
    moved = caddy.get(label["host"], label["page"] + "?utm_source=qr", scheme="http")
    assert moved.status in (301, 308)
    assert moved.headers["location"] == f"https://{label['host']}{label['page']}?utm_source=qr"


@pytest.mark.parametrize("host", ["North", INSTANCE_HOST])
def test_the_tls_question_is_not_asked_from_outside(caddy, labels, host):
    host = labels[host]["host"] if host in labels else host
    asked = caddy.get(host, f"/internal/tls-ask?domain={labels['North']['host']}")
    assert asked.status in (403, 404) and asked.body == b""


def test_a_removed_domain_stops_serving_at_once(app, caddy, labels):
    label_id, artist = make_label(app, "Gone", "Gone Artist")
    _, page = new_release(app, artist)
    host, _ = add_domain(app, label_id)
    assert caddy.get(host, page.removeprefix("/s")).status == 200
    remove_domain(app, host)
    assert caddy.get(host, page.removeprefix("/s")).status == 404


def test_the_instance_host_still_serves_through_caddy(caddy, labels):
    assert caddy.certificate(INSTANCE_HOST)["subjectAltName"] == (("DNS", INSTANCE_HOST),)
    health = caddy.get(INSTANCE_HOST, "/health")
    assert health.status == 200 and '"status":"ok"' in health.text.replace(" ", "")
    assert caddy.get(INSTANCE_HOST, "/s" + labels["South"]["page"]).status == 200


def test_security_headers_with_the_apps_own_first(caddy, labels):
    label = labels["North"]
    page = caddy.get(label["host"], label["page"])
    assert page.headers["strict-transport-security"] == "max-age=31536000"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "nonce-" in page.headers["content-security-policy"]  # the fan page's, untouched
    assert page.headers["x-frame-options"] == "DENY"
    assert "server" not in page.headers
    admin_side = caddy.get(INSTANCE_HOST, "/health")
    assert admin_side.headers["referrer-policy"] == "same-origin"  # the app's, not Caddy's
    assert admin_side.headers["strict-transport-security"] == "max-age=31536000"


def test_responses_are_compressed_when_asked(caddy, labels):
    label = labels["South"]
    plain = caddy.get(label["host"], label["page"])
    packed = caddy.get(label["host"], label["page"], headers=["Accept-Encoding: gzip"])
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["vary"]
    unpacked = gzip.decompress(packed.body).decode()
    assert len(packed.body) < len(unpacked)
    assert f'action="{label["page"]}/presave"' in unpacked
