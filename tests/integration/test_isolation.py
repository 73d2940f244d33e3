"""Tenant isolation through the admin and the API: Northwind's roles against Harbor Lights' rows.

Every FAB ModelView (discovered from app.appbuilder.baseviews) is walked for every
route kind, as each Northwind role, with Harbor's ids. Each answer must be a 403,
a 404, a 4xx form rejection (add only) or a redirect to the login page; no Harbor
name, email or secret may appear in any body; and no table may change.
"""
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from flask_appbuilder import Model, ModelView
from sqlalchemy import func, inspect, select

from app.releases import ab_tests, rules as release_rules, share_links
from app.crypto import keyring
from app.extensions import db
from app.models import (AdPixels, Artist, AudienceConnection, Authorization, Consent,
                        CustomDomain, Fan, Label, LabelOwned, PreSave, PlatformCredential, PresaveUser, Release,
                        RetentionPolicy, WebhookEndpoint)
from app.tenants.context import Scope, scoped
from app.webhooks import endpoints as webhook_endpoints, events as webhook_events

NORTHWIND_ROLES = ["owner@northwind.test", "staff@northwind.test", "artist@northwind.test"]
HARBOR_FIXED_SECRETS = ["Harbor Lights Music", "Marlow Shore", "Neon Tide", "marlow-shore",
                        "neon-tide", "staff@harbor.test", "Hal Harbor"]
NORTHWIND_SECRETS = ["Northwind Records", "Aurora Vale", "Juniper Kites", "aurora-vale",
                     "juniper-kites", "owner@northwind.test", "staff@northwind.test"]


@dataclass
class Tenant:
    """One label's ids, by model, and the strings that must never reach another label."""

    label_id: int
    artist_id: int
    ids: dict = field(default_factory=dict)  # model class -> id of one row of it
    secrets: list = field(default_factory=list)


# -- helpers -----------------------------------------------------------------------------------

def one(model, *where):
    return db.session.scalars(select(model).where(*where)).one()


def snapshot(app):
    """Every row of every table, read as the platform: a write anywhere changes it."""
    with app.app_context(), scoped(Scope.platform()):
        return {name: sorted(map(repr, db.session.execute(select(table)).all()))
                for name, table in Model.metadata.tables.items()}


def changed_tables(before, after):
    return sorted(name for name in before if before[name] != after.get(name))


def leaked(body, secrets):
    return [s for s in secrets if s.lower() in body.lower()]


def form_errors(body):
    """The messages FAB shows next to rejected fields, for readable failures."""
    return re.findall(r'<span class="help-block">\s*(.*?)\s*</span>', body, re.S) or body[-2000:]


def is_login_redirect(response):
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


def forged_form(tenant, name):
    """A form that would be valid but for the other label's label/artist/fan ids."""
    return {
        "label": tenant.label_id, "artist": tenant.artist_id, "fan": tenant.ids.get(Fan),
        "name": name, "title": name, "slug": name, "username": name, "first_name": name,
        "last_name": "Forged", "email": f"{name}@forged.test", "role": "Label Staff",
        "active": "y", "password": "forged-pass-1", "conf_password": "forged-pass-1",
        "timezone": "Europe/London", "platform": "spotify", "platforms": "spotify",
        "client_id": name, "primary_color": "#000000", "accent_color": "#111111",
        "background_color": "#ffffff", "text_color": "#222222", "collect_name": "optional",
        "collect_email": "optional", "collect_phone": "off",
        "consent_email_text": "ok", "consent_sms_text": "ok",
        "release_date": "2031-01-01", "presave_opens": "2030-12-01T00:00",
        "label_id": tenant.label_id, "artist_id": tenant.artist_id,
    }


def model_views(app):
    return [v for v in app.appbuilder.baseviews if isinstance(v, ModelView)]


def target_id(tenant, view):
    """The victim label's row for this view; global FAB tables (roles, ...) use their first row."""
    model = view.datamodel.obj
    for cls, pk in tenant.ids.items():
        if issubclass(model, cls):
            return pk
    assert not issubclass(model, LabelOwned), (
        f"{type(view).__name__} shows {model.__name__}: give the tenant fixture a row of it")
    return db.session.scalar(select(func.min(inspect(model).primary_key[0]))) or 1


# -- the two labels ------------------------------------------------------------------------------

def _release(artist, title, slug):
    release = Release(artist=artist, label_id=artist.label_id, title=title, slug=slug,
                      isrc=None, platforms=["spotify"], status="announced")
    opens = datetime.now() + timedelta(days=5)
    release_rules.schedule(release, opens, opens + timedelta(days=10), "America/New_York",
                           must_be_future=False)
    db.session.add(release)
    return release


def _fan_with_grant(artist, name, token):
    fan = Fan(artist=artist, label_id=artist.label_id, name=name, email=f"{name}@fans.test",
              city=f"{name}-city")
    consent = Consent(fan=fan, artist_id=artist.id, label_id=artist.label_id,
                      purpose="email_marketing", wording=f"{name} consent wording")
    grant = Authorization(fan=fan, artist_id=artist.id, label_id=artist.label_id,
                          platform="spotify", platform_user_id=f"{name}-account")
    db.session.add_all([fan, consent, grant])
    db.session.flush()
    grant.set_tokens(keyring(), token, f"{token}-refresh")
    return fan, consent, grant


def make_tenant(app, label_slug, artist_slug, user_email, name, fixed_secrets):
    """A label's demo rows plus its own release, fan, consent, grant and credential.

    Returns the Tenant and a function that deletes what was created.
    """
    with app.app_context():
        with scoped(Scope.platform()):
            label_id = one(Label, Label.slug == label_slug).id
            artist_id = one(Artist, Artist.slug == artist_slug).id
            user_id = one(PresaveUser, PresaveUser.email == user_email).id
        with scoped(Scope.label(label_id)):
            artist = db.session.get(Artist, artist_id)
            release = _release(artist, f"{name} Title", name)
            fan, consent, grant = _fan_with_grant(artist, name, f"{name}-token")
            credential = PlatformCredential(label_id=label_id, platform="deezer",
                                            client_id=f"{name}-client")
            credential.set_client_secret(keyring(), f"{name}-client-secret")
            presave = PreSave(release=release, fan=fan, label_id=label_id, artist_id=artist_id,
                              platform="spotify", authorization=grant)
            db.session.add_all([release, credential, presave])
            db.session.flush()
            ab_test = ab_tests.add_variant(release, f"{name} variant",
                                           headline=f"{name} headline").test
            db.session.commit()
            created = [(type(obj), obj.id)
                       for obj in (ab_test, presave, grant, consent, fan, release, credential)]
            tenant = Tenant(label_id, artist_id, secrets=fixed_secrets + [name], ids={
                Artist: artist_id, Release: release.id, Fan: fan.id, Consent: consent.id,
                Authorization: grant.id, PlatformCredential: credential.id, PreSave: presave.id,
                PresaveUser: user_id, Label: label_id})

    def cleanup():
        with app.app_context(), scoped(Scope.platform()):
            for model, pk in created:
                db.session.delete(db.session.get(model, pk))
                db.session.flush()
            db.session.commit()
    return tenant, cleanup


@pytest.fixture
def harbor(app, unique):
    tenant, cleanup = make_tenant(app, "harbor-lights", "marlow-shore", "staff@harbor.test",
                                  unique("harbor"), HARBOR_FIXED_SECRETS)
    yield tenant
    cleanup()


@pytest.fixture
def northwind(app, unique):
    tenant, cleanup = make_tenant(app, "northwind", "aurora-vale", "owner@northwind.test",
                                  unique("northwind"), NORTHWIND_SECRETS)
    yield tenant
    cleanup()


# -- the admin matrix ------------------------------------------------------------------------------

ROUTES = {  # kind -> (method, path under the view's route base, form?)
    "list": ("GET", "/list/", False),
    "show": ("GET", "/show/{id}", False),
    "edit-form": ("GET", "/edit/{id}", False),
    "edit": ("POST", "/edit/{id}", True),
    "delete": ("POST", "/delete/{id}", False),
    "delete-get": ("GET", "/delete/{id}", False),
    "add-forged": ("POST", "/add", True),
}
DENIED = {403, 404}
REJECTED = DENIED | {400, 422}


def check_route(app, client, view, kind, victim):
    """Problems with one request, as readable strings (empty: isolated)."""
    method, path, with_form = ROUTES[kind]
    with app.app_context(), scoped(Scope.platform()):
        url = view.route_base + path.format(id=target_id(victim, view))
    form = forged_form(victim, f"forged-{kind}") if with_form else None
    response = client.open(url, method=method, data=form)
    body = response.get_data(as_text=True)
    problems = [f"{url}: {secret!r} in the body" for secret in leaked(body, victim.secrets)]
    if kind == "list":
        allowed = response.status_code in DENIED | {200}
    elif kind == "add-forged":
        allowed = response.status_code in REJECTED
    else:
        allowed = response.status_code in DENIED
    if not (allowed or is_login_redirect(response)):
        problems.append(f"{method} {url} answered {response.status_code} "
                        f"{response.headers.get('Location', '')}")
    return problems


@pytest.mark.parametrize("kind", ROUTES)
@pytest.mark.parametrize("email", NORTHWIND_ROLES)
def test_northwind_cannot_reach_harbor_through_any_model_view(app, login, harbor, email, kind):
    client = login(email)
    before = snapshot(app)
    problems = []
    for view in model_views(app):
        problems += check_route(app, client, view, kind, harbor)
    assert problems == []
    assert changed_tables(before, snapshot(app)) == []


def test_the_matrix_walks_the_roster_views(app):
    routes = {v.route_base for v in model_views(app)}
    assert {"/artists", "/releases", "/fans", "/label-users", "/users", "/roles"} <= routes


@pytest.mark.parametrize("kind", ["list", "show", "edit", "delete"])
def test_harbor_staff_cannot_reach_northwind(app, login, northwind, kind):
    client = login("staff@harbor.test")
    before = snapshot(app)
    problems = []
    for view in model_views(app):
        problems += check_route(app, client, view, kind, northwind)
    assert problems == []
    assert changed_tables(before, snapshot(app)) == []


def test_forged_add_is_rejected_only_for_the_forged_label(app, login, northwind, harbor, unique):
    """Control for the add rows above: the same form with the own label is accepted."""
    client = login("staff@northwind.test")
    slug = unique("own")
    form = forged_form(northwind, slug) | {"consent_email_text": "ok"}
    response = client.post("/artists/add", data=form)
    assert response.status_code == 302, form_errors(response.get_data(as_text=True))
    with app.app_context(), scoped(Scope.platform()):
        artist = one(Artist, Artist.slug == slug)
        assert artist.label_id == northwind.label_id
        db.session.delete(artist)
        db.session.commit()


def test_related_dropdowns_offer_only_own_label_rows(app, login, harbor):
    """The add form's label/artist selects and the list filters are scoped too."""
    client = login("owner@northwind.test")
    for url in ("/artists/add", "/label-users/add", "/artists/list/", "/releases/list/",
                "/fans/list/", "/label-users/list/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert leaked(response.get_data(as_text=True), harbor.secrets) == [], url


# -- the REST API ------------------------------------------------------------------------------------

API_RESOURCES = {"artists": Artist, "releases": Release, "fans": Fan, "presaves": PreSave}
API_ACTIONS = ["list", "get", "put", "delete", "post-forged"]


@pytest.fixture
def api_route(app):
    """The API resource's path; a resource that is not registered fails the test."""
    def _require(resource):
        path = f"/api/v1/{resource}/"
        assert any(rule.rule.startswith(path) for rule in app.url_map.iter_rules()), (
            f"{path} is not registered")
        return path
    return _require


def api_body(resource, tenant, name):
    """A body that would be accepted but for ``tenant``'s label_id / artist_id."""
    return {
        "artists": {"name": name, "slug": name, "label_id": tenant.label_id, "timezone": "UTC"},
        "releases": {"artist_id": tenant.artist_id, "title": name, "slug": name,
                     "platforms": ["spotify"], "presave_opens_at": "2030-12-01T00:00",
                     "release_at": "2031-01-01"},
        "fans": {"artist_id": tenant.artist_id, "label_id": tenant.label_id, "name": name,
                 "email": f"{name}@forged.test"},
        "presaves": {"release_id": tenant.ids[Release], "fan_id": tenant.ids[Fan],
                     "platform": "spotify"},
    }[resource]


@pytest.mark.parametrize("action", API_ACTIONS)
@pytest.mark.parametrize("resource", API_RESOURCES)
@pytest.mark.parametrize("email", NORTHWIND_ROLES)
def test_api_keeps_harbor_out(app, api, api_route, harbor, email, resource, action, unique):
    base = api_route(resource)
    client, headers = api(email)
    harbor_id = harbor.ids[API_RESOURCES[resource]]
    requests = {
        "list": ("GET", base, None),
        "get": ("GET", f"{base}{harbor_id}", None),
        "put": ("PUT", f"{base}{harbor_id}", {"name": "forged", "title": "forged"}),
        "delete": ("DELETE", f"{base}{harbor_id}", None),
        "post-forged": ("POST", base, api_body(resource, harbor, unique("forged"))),
    }
    method, url, body = requests[action]
    before = snapshot(app)
    response = client.open(url, method=method, json=body, headers=headers)
    assert leaked(response.get_data(as_text=True), harbor.secrets) == []
    expected = {
        "list": {200, 401, 403},
        "post-forged": {400, 403, 404, 405, 422},
    }.get(action, {403, 404, 405})
    assert response.status_code in expected, response.get_json()
    assert changed_tables(before, snapshot(app)) == []


VARIANT_ROUTES = {  # the A/B test of a release's page: /api/v1/releases/<id>/variants…
    "get": ("GET", "", None),
    "add": ("POST", "", {"name": "Forged"}),
    "change": ("PUT", "/B", {"headline": "Forged"}),
    "remove": ("DELETE", "/B", None),
    "start": ("POST", "/test", {"action": "start"}),
}


@pytest.mark.parametrize("route", VARIANT_ROUTES)
@pytest.mark.parametrize("email", NORTHWIND_ROLES)
def test_api_keeps_harbor_variants_out(app, api, harbor, email, route):
    method, path, body = VARIANT_ROUTES[route]
    client, headers = api(email)
    before = snapshot(app)
    response = client.open(f"/api/v1/releases/{harbor.ids[Release]}/variants{path}",
                           method=method, json=body, headers=headers)
    assert response.status_code in {403, 404}, response.get_json()
    assert leaked(response.get_data(as_text=True), harbor.secrets) == []
    assert changed_tables(before, snapshot(app)) == []


ADMIN_VARIANT_ROUTES = {  # the release page's A/B test panel: /releases/<id>/variants…
    "add": ("", {"name": "Forged", "weight": "1"}),
    "remove": ("/B/remove", {}),
    "start": ("/test/start", {"auto_stop": "y", "min_presaves": "5"}),
    "stop": ("/test/stop", {}),
    "choose": ("/test/choose", {"winner": "B"}),
}


@pytest.mark.parametrize("route", ADMIN_VARIANT_ROUTES)
@pytest.mark.parametrize("email", NORTHWIND_ROLES)
def test_admin_keeps_harbor_variants_out(app, login, harbor, email, route):
    path, form = ADMIN_VARIANT_ROUTES[route]
    client = login(email)  # signing in writes (the user's bookkeeping, the trail): before
    before = snapshot(app)
    response = client.post(f"/releases/{harbor.ids[Release]}/variants{path}", data=form)
    assert response.status_code in DENIED, response.status_code
    assert leaked(response.get_data(as_text=True), harbor.secrets) == []
    assert changed_tables(before, snapshot(app)) == []


SHARE_ROUTES = {  # the release page's share kit: /releases/<id>/share-links…
    "add": ("POST", "", {"name": "Forged", "preset": "email"}),
    "remove": ("POST", "/{link}/remove", {}),
    "qr-svg": ("GET", "/{link}/qr.svg", None),
    "qr-png": ("GET", "/{link}/qr.png?download=1", None),
}


@pytest.mark.parametrize("route", SHARE_ROUTES)
@pytest.mark.parametrize("email", NORTHWIND_ROLES)
def test_admin_keeps_harbor_short_links_out(app, login, harbor, email, route):
    method, path, form = SHARE_ROUTES[route]
    with app.app_context(), scoped(Scope.label(harbor.label_id)):
        release = db.session.get(Release, harbor.ids[Release])
        link = share_links.create(release, f"{harbor.secrets[-1]} link", "email")
        db.session.commit()
        link_id, code = link.id, link.code
    client = login(email)
    before = snapshot(app)
    url = f"/releases/{harbor.ids[Release]}/share-links" + path.format(link=link_id)
    response = client.open(url, method=method, data=form)
    assert response.status_code in DENIED, response.status_code
    body = response.get_data(as_text=True)
    assert leaked(body, harbor.secrets + [code]) == []
    assert changed_tables(before, snapshot(app)) == []


def test_analytics_keeps_harbor_short_links_out(app, login, api, harbor):
    with app.app_context(), scoped(Scope.label(harbor.label_id)):
        release = db.session.get(Release, harbor.ids[Release])
        code = share_links.create(release, f"{harbor.secrets[-1]} link", "email").code
        db.session.commit()
    for email in NORTHWIND_ROLES:
        page = login(email).get(f"/analytics/release/{harbor.ids[Release]}")
        assert page.status_code in DENIED
        client, headers = api(email)
        answer = client.get(f"/api/v1/releases/{harbor.ids[Release]}/analytics", headers=headers)
        assert answer.status_code in DENIED
        for body in (page.get_data(as_text=True), answer.get_data(as_text=True)):
            assert leaked(body, harbor.secrets + [code]) == []


WEBHOOK_ROUTES = {  # Account → Webhooks: /webhooks/<id>…
    "show": ("GET", "/{endpoint}", None),
    "edit": ("POST", "/{endpoint}/edit", {"url": "https://forged.example/h",
                                          "events": ["fan.erased"]}),
    "test": ("POST", "/{endpoint}/test", {}),
    "off": ("POST", "/{endpoint}/off", {}),
    "delete": ("POST", "/{endpoint}/delete", {}),
    "replay": ("POST", "/{endpoint}/deliveries/{delivery}/replay", {}),
}


@pytest.fixture
def harbor_endpoint(app, harbor):
    """A Harbor endpoint with one delivery; (endpoint id, delivery id, its URL and secret)."""
    with app.app_context(), scoped(Scope.label(harbor.label_id)):
        endpoint = webhook_endpoints.create(harbor.label_id,
                                            f"https://{harbor.secrets[-1]}.example/hook",
                                            ["fan.erased"], actor="test")
        delivery = webhook_events.test_event(endpoint, "test")
        db.session.commit()
        found = (endpoint.id, delivery.id, endpoint.url, endpoint.secret(keyring()))
    yield found
    with app.app_context(), scoped(Scope.platform()):
        db.session.delete(db.session.get(WebhookEndpoint, found[0]))
        db.session.commit()


@pytest.mark.parametrize("route", WEBHOOK_ROUTES)
@pytest.mark.parametrize("email", NORTHWIND_ROLES)
def test_admin_keeps_harbor_webhooks_out(app, login, harbor, harbor_endpoint, email, route):
    endpoint_id, delivery_id, url, secret = harbor_endpoint
    method, path, form = WEBHOOK_ROUTES[route]
    client = login(email)
    before = snapshot(app)
    response = client.open(
        "/webhooks" + path.format(endpoint=endpoint_id, delivery=delivery_id), method=method,
        data=form)
    assert response.status_code in DENIED | {302}, response.status_code
    if response.status_code == 302:  # the roles without the page go to the login page
        assert is_login_redirect(response) or "/webhooks" not in response.headers["Location"]
    assert leaked(response.get_data(as_text=True), harbor.secrets + [url, secret]) == []
    assert changed_tables(before, snapshot(app)) == []


def test_the_webhook_list_shows_only_own_endpoints(app, login, harbor, harbor_endpoint):
    _, _, url, secret = harbor_endpoint
    page = login("owner@northwind.test").get("/webhooks/")
    assert page.status_code == 200
    assert leaked(page.get_data(as_text=True), harbor.secrets + [url, secret]) == []


DOMAIN_ROUTES = {  # Account → Custom domains: /domains/…
    "list": ("GET", "/?label={label}", None),
    "add": ("POST", "/add?label={label}", {"hostname": "forged.example.test"}),
    "check": ("POST", "/{domain}/check", {}),
    "on": ("POST", "/{domain}/on", {}),
    "off": ("POST", "/{domain}/off", {}),
    "remove": ("POST", "/{domain}/remove", {}),
}


@pytest.fixture
def harbor_domain(app, harbor):
    """Harbor's serving domain; (id, hostname, token)."""
    with app.app_context(), scoped(Scope.label(harbor.label_id)):
        row = CustomDomain(label_id=harbor.label_id, hostname=f"{harbor.secrets[-1]}.example.test",
                           token=f"{harbor.secrets[-1]}-token", state="active")
        db.session.add(row)
        db.session.commit()
        found = (row.id, row.hostname, row.token)
    yield found
    with app.app_context(), scoped(Scope.platform()):
        db.session.delete(db.session.get(CustomDomain, found[0]))
        db.session.commit()


@pytest.mark.parametrize("route", DOMAIN_ROUTES)
@pytest.mark.parametrize("email", NORTHWIND_ROLES)
def test_custom_domains_keep_harbor_out(app, login, harbor, harbor_domain, email, route):
    domain_id, hostname, token = harbor_domain
    method, path, form = DOMAIN_ROUTES[route]
    client = login(email)
    before = snapshot(app)
    response = client.open("/domains" + path.format(domain=domain_id, label=harbor.label_id),
                           method=method, data=form)
    assert response.status_code in DENIED | {200, 302}, response.status_code
    owner_adds = route == "add" and email == NORTHWIND_ROLES[0]  # to its own label: allowed
    if response.status_code == 302 and not owner_adds:  # the others go to the login page
        assert is_login_redirect(response) or "/domains" not in response.headers["Location"]
    assert str(harbor.label_id) not in re.findall(r"label=(\d+)",
                                                  response.headers.get("Location", ""))
    assert leaked(response.get_data(as_text=True), harbor.secrets + [hostname, token]) == []
    if not owner_adds:
        assert changed_tables(before, snapshot(app)) == []
    with app.app_context(), scoped(Scope.platform()):
        assert db.session.get(CustomDomain, domain_id).state == "active"
        own = db.session.scalars(select(CustomDomain).where(
            CustomDomain.hostname == "forged.example.test")).all()
        assert harbor.label_id not in [row.label_id for row in own]
        for row in own:
            db.session.delete(row)
        db.session.commit()


@pytest.fixture
def harbor_pixels(app, harbor):
    """Harbor's label pixels with a sealed token; (meta id, token)."""
    with app.app_context(), scoped(Scope.label(harbor.label_id)):
        row = AdPixels(label_id=harbor.label_id, meta_pixel_id="9876543210987654")
        db.session.add(row)
        db.session.flush()
        row.set_token(keyring(), "meta", f"{harbor.secrets[-1]}-capi-token")
        db.session.commit()
        found = (row.id, row.meta_pixel_id, f"{harbor.secrets[-1]}-capi-token")
    yield found[1:]
    with app.app_context(), scoped(Scope.platform()):
        db.session.delete(db.session.get(AdPixels, found[0]))
        db.session.commit()


@pytest.mark.parametrize("method, path", [
    ("GET", "/ad-pixels/?label={label}"), ("GET", "/ad-pixels/?label={label}&artist={artist}"),
    ("POST", "/ad-pixels/save?label={label}&artist={artist}"),
])
@pytest.mark.parametrize("email", NORTHWIND_ROLES)
def test_ad_pixels_keep_harbor_out(app, login, harbor, harbor_pixels, email, method, path):
    pixel, token = harbor_pixels
    client = login(email)
    before = snapshot(app)
    response = client.open(path.format(label=harbor.label_id, artist=harbor.artist_id),
                                 method=method, data={"meta_pixel_id": "1111111111111111"})
    assert response.status_code in DENIED | {200, 302}, response.status_code
    assert leaked(response.get_data(as_text=True), harbor.secrets + [pixel, token]) == []
    if response.status_code == 302:
        assert "/ad-pixels" not in response.headers["Location"] or email == NORTHWIND_ROLES[0]
    assert changed_tables(before, snapshot(app)) == []


@pytest.fixture
def harbor_tools(app, harbor):
    """Harbor's Mailchimp connection with a sealed key; (list id, key)."""
    key = f"{harbor.secrets[-1]}-key-us0"
    with app.app_context(), scoped(Scope.label(harbor.label_id)):
        row = AudienceConnection(label_id=harbor.label_id, provider="mailchimp",
                                 lists={str(harbor.artist_id): f"{harbor.secrets[-1]}list"})
        db.session.add(row)
        db.session.flush()
        row.set_key(keyring(), key)
        db.session.commit()
        row_id = row.id
    yield f"{harbor.secrets[-1]}list", key
    with app.app_context(), scoped(Scope.platform()):
        db.session.delete(db.session.get(AudienceConnection, row_id))
        db.session.commit()


@pytest.mark.parametrize("method, path", [
    ("GET", "/email-tools/?label={label}"), ("POST", "/email-tools/mailchimp/check?label={label}"),
    ("POST", "/email-tools/mailchimp/sync?label={label}"),
    ("POST", "/email-tools/mailchimp/disconnect?label={label}"),
    ("POST", "/email-tools/mailchimp/save?label={label}"),
])
@pytest.mark.parametrize("email", NORTHWIND_ROLES)
def test_email_tools_keep_harbor_out(app, login, harbor, harbor_tools, email, method, path):
    list_id, key = harbor_tools

    def harbor_rows():
        with app.app_context(), scoped(Scope.platform()):
            return [(r.provider, r.lists, r.api_key_sealed, r.last_error) for r in
                    db.session.scalars(select(AudienceConnection).where(
                        AudienceConnection.label_id == harbor.label_id))]

    before = harbor_rows()
    response = login(email).open(path.format(label=harbor.label_id), method=method,
                                 data={f"list_{harbor.artist_id}": "forged"})
    assert response.status_code in DENIED | {200, 302}, response.status_code
    assert leaked(response.get_data(as_text=True), harbor.secrets + [list_id, key]) == []
    assert harbor_rows() == before
    with app.app_context(), scoped(Scope.platform()):  # the owner may set up its own label
        for row in db.session.scalars(select(AudienceConnection).join(Label).where(
                Label.slug == "northwind")):
            db.session.delete(row)
        db.session.commit()


@pytest.fixture
def harbor_retention(app, harbor):
    """Harbor's own limits, values no other label has; the fields as the page shows them."""
    limits = {"unfinished_fan_days": 3137, "withdrawn_fan_days": 3131, "ledger_months": 113,
              "outbound_days": 3119, "cookie_choice_days": 3109, "audit_days": 3089}
    with app.app_context(), scoped(Scope.label(harbor.label_id)):
        row = RetentionPolicy(label_id=harbor.label_id, **limits)
        db.session.add(row)
        db.session.commit()
        row_id = row.id
    yield [f'value="{value}"' for value in limits.values()]
    with app.app_context(), scoped(Scope.platform()):
        db.session.delete(db.session.get(RetentionPolicy, row_id))
        db.session.commit()


@pytest.mark.parametrize("method, path", [
    ("GET", "/retention/?label={label}"), ("POST", "/retention/save?label={label}"),
])
@pytest.mark.parametrize("email", NORTHWIND_ROLES)
def test_data_retention_keeps_harbor_out(app, login, harbor, harbor_retention, email, method,
                                         path):
    client = login(email)
    before = snapshot(app)
    response = client.open(path.format(label=harbor.label_id), method=method,
                           data={"audit_days": "400"})  # the other limits missing: refused
    assert response.status_code in DENIED | {200, 302, 422}, response.status_code
    assert leaked(response.get_data(as_text=True), harbor.secrets + harbor_retention) == []
    assert changed_tables(before, snapshot(app)) == []


@pytest.mark.parametrize("resource", ["artists", "releases"])
def test_api_accepts_the_same_body_with_own_ids(app, api, api_route, northwind, resource,
                                                unique):
    """Control for post-forged: only the other label's ids make the body fail."""
    base = api_route(resource)
    client, headers = api("staff@northwind.test")
    response = client.post(base, json=api_body(resource, northwind, unique("own")),
                           headers=headers)
    assert response.status_code == 201, response.get_json()
    with app.app_context(), scoped(Scope.platform()):
        model = API_RESOURCES[resource]
        row = db.session.get(model, response.get_json()["id"])
        assert row.label_id == northwind.label_id
        db.session.delete(row)
        db.session.commit()


ACTIVITY_PATHS = [  # Account → Activity, its filters and its CSV, aimed at Harbor
    "/activity/", "/activity/?label={label}", "/activity/?person={user}",
    "/activity/?kind=release&label={label}", "/activity/?kind=user.signed_in&person={user}",
    "/activity/activity.csv", "/activity/activity.csv?label={label}&person={user}",
]


@pytest.fixture
def harbor_activity(app, login, harbor):
    """Harbor's entries name it: its release was made (harbor's rows) and its staff signed in."""
    login("staff@harbor.test")
    return harbor


def test_harbor_activity_is_there_to_leak(login, harbor_activity):
    """Control for the activity rows below: the operator reads Harbor's names."""
    page = login("admin@presave.test").get(f"/activity/?label={harbor_activity.label_id}")
    assert harbor_activity.secrets[-1] in page.text and "staff@harbor.test" in page.text


@pytest.mark.parametrize("path", ACTIVITY_PATHS)
@pytest.mark.parametrize("email", NORTHWIND_ROLES)
def test_activity_keeps_harbor_out(app, login, harbor_activity, email, path):
    client = login(email)
    before = snapshot(app)
    response = client.get(path.format(label=harbor_activity.label_id,
                                      user=harbor_activity.ids[PresaveUser]))
    assert response.status_code in DENIED | {200, 302}, response.status_code
    assert leaked(response.get_data(as_text=True), harbor_activity.secrets) == []
    downloaded = response.status_code == 200 and ".csv" in path
    assert changed_tables(before, snapshot(app)) == (["audit_entry"] if downloaded else [])


@pytest.mark.parametrize("path", ACTIVITY_PATHS)
def test_harbor_staff_cannot_read_northwind_activity(app, login, northwind, path):
    login("owner@northwind.test")  # an entry naming Northwind's owner
    response = login("staff@harbor.test").get(path.format(label=northwind.label_id,
                                                          user=northwind.ids[PresaveUser]))
    assert response.status_code == 200
    assert leaked(response.get_data(as_text=True), northwind.secrets) == []
