"""A label's active domain serves that label's fan pages at the domain's own paths, and
nothing else: not another label's artists, not the admin, the API or the sign-in callbacks."""
import pytest

from tests.custom_domains import add_domain, remove_domain
from tests.own_label import make_label, new_release


@pytest.fixture
def two_labels(app):
    """Each label with an artist, an open release and an active domain."""
    labels = []
    for name in ("Northern", "Southern"):
        label_id, artist = make_label(app, name, f"{name} Artist")
        _, page = new_release(app, artist)
        host, _ = add_domain(app, label_id)
        labels.append((label_id, artist, page, host))
    return labels


def test_a_domain_serves_its_labels_pages_at_its_own_paths(app, two_labels):
    _, artist, page, host = two_labels[0]
    fan = app.test_client()
    on_domain = page.removeprefix("/s")
    response = fan.get(on_domain, base_url=f"https://{host}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'action="{on_domain}/presave"' in body and "/s/" not in body.replace("/static/", "")
    assert fan.get(f"/{artist}", base_url=f"https://{host}").status_code == 200
    assert fan.get(f"/{artist}/me", base_url=f"https://{host}").status_code == 200


def test_another_labels_artist_is_not_found_on_a_domain(app, two_labels):
    (_, _, _, north_host), (_, south_artist, south_page, _) = two_labels
    fan = app.test_client()
    assert fan.get(south_page.removeprefix("/s"), base_url=f"https://{north_host}").status_code \
        == 404
    assert fan.get(f"/{south_artist}", base_url=f"https://{north_host}").status_code == 404


@pytest.mark.parametrize("path", ["/admin/", "/login/", "/api/v1/releases/", "/sandbox/",
                                  "/_auth/spotify/callback", "/internal/tls-ask?domain=x.test",
                                  "/s/anything", "/health", "/"])
def test_nothing_but_fan_pages_on_a_domain(app, two_labels, path):
    host = two_labels[0][3]
    assert app.test_client().get(path, base_url=f"https://{host}").status_code == 404


def test_a_domain_not_yet_active_serves_only_its_token(app, two_labels):
    label_id, _, page, _ = two_labels[0]
    host, token = add_domain(app, label_id, state="pending")
    fan = app.test_client()
    proof = fan.get(f"/.well-known/presave-verify/{token}", base_url=f"http://{host}")
    assert (proof.status_code, proof.get_data(as_text=True)) == (200, token)
    assert fan.get("/.well-known/presave-verify/wrong", base_url=f"http://{host}").status_code \
        == 404
    assert fan.get(page.removeprefix("/s"), base_url=f"https://{host}").status_code == 404


def test_a_removed_domain_stops_serving_at_once(app, two_labels):
    _, _, page, host = two_labels[0]
    fan = app.test_client()
    assert fan.get(page.removeprefix("/s"), base_url=f"https://{host}").status_code == 200
    remove_domain(app, host)
    assert fan.get(page.removeprefix("/s"), base_url=f"https://{host}").status_code == 404


def test_the_fan_cookie_and_redirects_keep_to_the_domains_paths(app, two_labels):
    _, artist, page, host = two_labels[0]
    fan = app.test_client()
    on_domain = page.removeprefix("/s")
    going = fan.post(on_domain + "/presave", base_url=f"https://{host}",
                     data={"platform": "spotify", "email": "", "name": "", "phone": ""})
    assert going.status_code == 302
    for cookie in going.headers.getlist("Set-Cookie"):
        assert "Path=/s" not in cookie, cookie


def test_the_instance_host_still_serves_every_label(app, two_labels):
    fan = app.test_client()
    for _, _, page, _ in two_labels:
        assert fan.get(page).status_code == 200


def test_the_tls_proxy_hears_yes_for_active_domains_only(app, two_labels):
    label_id, _, _, host = two_labels[0]
    pending, _ = add_domain(app, label_id, state="pending")
    proxy = app.test_client()
    ask = lambda domain: proxy.get(f"/internal/tls-ask?domain={domain}",  # noqa: E731
                                   environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code
    assert ask(host) == 200 and ask(host.upper() + ".") == 200
    assert (ask(pending), ask("nobody.example.test"), ask("not a host"), ask("")) == \
        (404, 404, 404, 404)


@pytest.mark.parametrize("remote, headers", [("203.0.113.9", {}),
                                              ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"})])
def test_the_tls_question_is_refused_to_anyone_but_the_proxy(app, two_labels, remote, headers):
    host = two_labels[0][3]
    asked = app.test_client().get(f"/internal/tls-ask?domain={host}", headers=headers,
                                  environ_base={"REMOTE_ADDR": remote})
    assert asked.status_code == 403


def test_a_proxy_elsewhere_asks_with_the_shared_secret(app, two_labels):
    host = two_labels[0][3]
    app.config["TLS_ASK_SECRET"] = "s3cret-of-the-proxy"
    try:
        ask = lambda key: app.test_client().get(  # noqa: E731
            f"/internal/tls-ask?domain={host}&key={key}",
            environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code
        assert (ask("s3cret-of-the-proxy"), ask("wrong")) == (200, 403)
    finally:
        app.config["TLS_ASK_SECRET"] = None


def test_a_sign_in_begun_on_a_domain_ends_back_on_it(app, two_labels):
    """The platform calls the instance back (the one address it knows), which relays the
    answer to the domain, where the sign-in is finished for the browser that began it."""
    from urllib.parse import parse_qs, urlsplit

    from tests.fan_journey import local, sandbox_decision

    _, artist, page, host = two_labels[0]
    on_domain = page.removeprefix("/s")
    fan = app.test_client()
    going = fan.post(on_domain + "/presave", base_url=f"https://{host}",
                     data={"platform": "spotify", "email": "", "name": "", "phone": ""})
    authorize = going.headers["Location"]
    redirect_uri = parse_qs(urlsplit(authorize).query)["redirect_uri"][0]
    assert redirect_uri == app.config["PUBLIC_BASE_URL"].rstrip("/") + "/s/_auth/spotify/callback"
    called_back = sandbox_decision(fan, authorize)
    relayed = fan.get(called_back)
    there = urlsplit(relayed.headers["Location"])
    assert relayed.status_code == 302 and (there.scheme, there.hostname) == ("https", host)
    assert there.path == f"/{artist}/signed-in/spotify"
    assert parse_qs(there.query)["state"] == parse_qs(urlsplit(called_back).query)["state"]
    landed = fan.get(local(relayed.headers["Location"]), base_url=f"https://{host}")
    assert landed.status_code == 302 and landed.headers["Location"] == on_domain
    assert any("presave_fan_" in cookie and f"Path=/{artist};" in cookie
               for cookie in landed.headers.getlist("Set-Cookie"))
    with fan.session_transaction(base_url=f"https://{host}") as session:  # the domain's own
        assert [text for _, text in session["_flashes"]] == [
            "Pre-Save Successful! “Five Places” will be added to your Spotify library when it "
            "comes out."]
    shown = fan.get(on_domain, base_url=f"https://{host}").get_data(as_text=True)
    assert "You're set" in shown  # the page itself says it, with the fan cookie


def test_a_relayed_sign_in_finishes_only_in_the_browser_that_began_it(app, two_labels):
    """Someone else's browser holding the relayed link (or the callback) gets nowhere, and
    the fan's own sign-in is not burnt by it."""
    from tests.fan_journey import local, sandbox_decision

    _, _, page, host = two_labels[0]
    fan = app.test_client()
    going = fan.post(page.removeprefix("/s") + "/presave", base_url=f"https://{host}",
                     data={"platform": "spotify", "email": "", "name": "", "phone": ""})
    called_back = sandbox_decision(fan, going.headers["Location"])
    relayed = local(fan.get(called_back).headers["Location"])
    stranger = app.test_client()
    assert stranger.get(relayed, base_url=f"https://{host}").status_code == 400
    assert fan.get(relayed, base_url=f"https://{host}").status_code == 302


def test_the_instance_and_the_domain_each_keep_their_own_page(app, two_labels):
    """The same release's page, kept for new visitors on both hosts, each with its own links."""
    _, _, page, host = two_labels[0]
    action = f'action="{page}/presave"'
    for _ in range(2):  # the second round from what each host kept
        on_instance = app.test_client().get(page).get_data(as_text=True)
        on_domain = app.test_client().get(page.removeprefix("/s"),
                                          base_url=f"https://{host}").get_data(as_text=True)
        assert action in on_instance
        assert action not in on_domain and action.replace('"/s/', '"/') in on_domain


@pytest.mark.parametrize("path", ["/login/", "/s/anything", "/health", "/"])
def test_a_hostname_no_label_serves_on_reaches_nothing(app, two_labels, path):
    """A domain removed, or a name someone else pointed here: not the instance either."""
    _, _, page, host = two_labels[0]
    remove_domain(app, host)
    fan = app.test_client()
    for asked in (path, page):
        assert fan.get(asked, base_url=f"https://{host}").status_code == 404
    assert fan.get(path, base_url="https://stranger.example.test").status_code == 404


@pytest.mark.parametrize("text", ["http://[::1", "http://[x]/", "https://" + "a" * 300 + ".com"])
def test_a_malformed_hostname_is_a_clear_no(app, text):
    asked = app.test_client().get("/internal/tls-ask", query_string={"domain": text},
                                  environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert asked.status_code == 404
