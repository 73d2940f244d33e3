"""Calls into the sandbox over HTTP: the OAuth dance, app tokens, faults and the admin API."""
import base64
import json
import time
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # S256 of VERIFIER (RFC 7636 appendix B)
REDIRECT = "https://presave.test/oauth/callback?keep=1"
CLIENT = "sandbox-test-client"
SECRET = "sandbox-test-secret"
SCOPES = {"spotify": "user-library-modify user-read-private", "tidal": "collection.write user.read",
          "youtube_music": "https://www.googleapis.com/auth/youtube", "amazon_music": "profile music::library",
          "deezer": "basic_access,manage_library"}
OAUTH_PLATFORMS = list(SCOPES)
PKCE_PLATFORMS = ["spotify", "tidal", "youtube_music", "amazon_music"]


def authorize_path(platform, pkce=True, **extra):
    if platform == "deezer":
        params = {"app_id": CLIENT, "redirect_uri": REDIRECT, "perms": SCOPES[platform]}
    else:
        params = {"client_id": CLIENT, "response_type": "code", "redirect_uri": REDIRECT,
                  "scope": SCOPES[platform]}
        if pkce:
            params.update(code_challenge=CHALLENGE, code_challenge_method="S256")
        if platform == "youtube_music":
            params["access_type"] = "offline"
    params.update(state="st-123", **extra)
    return f"/sandbox/{platform}/authorize?{urlencode(params)}"


def query_of(location):
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def agree(client, platform, pkce=True, user=None, **extra):
    """The code from pressing Agree (asserting the redirect keeps state and the callback's query)."""
    data = {"decision": "agree", **({"user": user} if user else {})}
    response = client.post(authorize_path(platform, pkce, **extra), data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith("https://presave.test/oauth/callback?")
    query = query_of(location)
    assert query["state"] == "st-123" and query["keep"] == "1"
    return query["code"]


def exchange(client, platform, code, verifier=VERIFIER, basic=False, **extra):
    if platform == "deezer":
        return client.get(f"/sandbox/deezer/token?{urlencode({'app_id': CLIENT, 'secret': SECRET, 'code': code, **extra})}")
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **extra}
    headers = {}
    if basic:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{CLIENT}:{SECRET}".encode()).decode()
    else:
        form["client_id"] = CLIENT
    if verifier:
        form["code_verifier"] = verifier
    return client.post(f"/sandbox/{platform}/token", data=form, headers=headers)


def tokens(client, platform, user=None, **extra):
    """A fresh grant's token response (PKCE where the platform has it)."""
    pkce = platform in PKCE_PLATFORMS
    code = agree(client, platform, pkce=pkce, user=user, **extra)
    response = exchange(client, platform, code, verifier=VERIFIER if pkce else None,
                        output="json") if platform == "deezer" else \
        exchange(client, platform, code, verifier=VERIFIER if pkce else None)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def refresh(client, platform, refresh_token, secret=False):
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": CLIENT}
    if secret:
        form["client_secret"] = SECRET
    return client.post(f"/sandbox/{platform}/token", data=form)


def client_token(client, platform, secret=SECRET, basic=True):
    """The token endpoint's answer to grant_type=client_credentials (the app's own token)."""
    form, headers = {"grant_type": "client_credentials"}, {}
    if basic:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{CLIENT}:{secret}".encode()).decode()
    else:
        form.update(client_id=CLIENT, client_secret=secret)
    return client.post(f"/sandbox/{platform}/token", data=form, headers=headers)


def app_token(client, platform):
    response = client_token(client, platform)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["access_token"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def developer_token(private_key=None, alg="ES256", kid="ABC123DEFG", iss="TEAM123456",
                    lifetime=3600, iat=None):
    """An Apple developer token signed ES256 (a fresh key unless one is given)."""
    key = private_key or ec.generate_private_key(ec.SECP256R1())
    iat = int(time.time()) if iat is None else iat
    header = {"alg": alg, "kid": kid} if kid else {"alg": alg}
    signed = f"{_b64(json.dumps(header))}.{_b64(json.dumps({'iss': iss, 'iat': iat, 'exp': iat + lifetime}))}"
    r, s = decode_dss_signature(key.sign(signed.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signed}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def _b64(data):
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# --- fixtures ------------------------------------------------------------

def faults(client, platform, **settings):
    response = client.post(f"/sandbox/_admin/{platform}/faults", json=settings)
    assert response.status_code == 200, response.get_json()


def admin(client, platform, path, **body):
    response = client.post(f"/sandbox/_admin/{platform}/{path}", json=body)
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def saves(client, platform, user):
    return client.get(f"/sandbox/_admin/{platform}/saves?user={user}").get_json()["saves"]


def user_id(unique):
    return unique("fan")


