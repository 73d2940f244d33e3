"""The accounts service shared by the OAuth platforms: a consent page and a token endpoint.

Each platform's dialect says how it differs: parameter names, PKCE, whether
refresh tokens rotate or die, the token response and its errors, and whether
the app may have a token of its own (the client-credentials grant).
"""
import base64
import binascii
import hashlib
import hmac
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import current_app, jsonify, redirect, render_template_string, request

from app.platforms.registry import client_class
from app.sandbox import state
from app.sandbox.base import Dialect

USER_SHAPE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ name }} (sandbox) – authorise</title>
<style>
 body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#222}
 .box{border:1px solid #ccc;border-radius:.5rem;padding:1rem 1.25rem}
 .tag{font-size:.8rem;background:#fd3;padding:.1rem .4rem;border-radius:.25rem}
 button{font-size:1rem;padding:.5rem 1.25rem;margin-right:.5rem;border-radius:.25rem;border:1px solid #888}
 .agree{background:#1a7f37;color:#fff;border-color:#1a7f37} code{word-break:break-all}
</style></head>
<body><div class="box">
{% if problem %}
 <h1>{{ name }} <span class="tag">sandbox</span></h1>
 <p role="alert">{{ problem }}</p>
{% else %}
 <h1>{{ name }} <span class="tag">sandbox</span></h1>
 <p>The app <code>{{ client_id }}</code> asks to:</p>
 <ul>{% for scope in scopes %}<li><code>{{ scope }}</code></li>{% else %}<li>see your basic profile</li>{% endfor %}</ul>
 <form method="post" action="{{ action }}">
  <p><label>Sandbox account <input name="user" value="{{ user }}" size="30"></label></p>
  <button class="agree" name="decision" value="agree" type="submit">Agree</button>
  <button name="decision" value="cancel" type="submit">Cancel</button>
 </form>
 <p><small>Redirects to <code>{{ redirect_uri }}</code></small></p>
{% endif %}
</div></body></html>
"""


class OAuthDialect(Dialect):
    client_param = "client_id"
    scope_param = "scope"
    scope_separator = " "
    response_type_required = True
    pkce = "optional"  # "required", "optional" (checked when a challenge was sent) or None
    access_lifetime = 3600
    refresh_lifetime = None  # seconds from the original grant after which refreshing fails
    rotates = False
    token_type = "Bearer"
    token_prefixes = ("", "")  # access, refresh
    denied = {"error": "access_denied"}
    app_tokens = False  # grant_type=client_credentials: a catalogue-only token with no user

    def rotates_for(self, grant):
        return self.rotates

    def wants_refresh(self, request_args):
        return True

    def lifetime_for(self, scopes):
        return self.access_lifetime

    def token_body(self, grant, access, refresh, lifetime):
        body = {"access_token": access, "token_type": self.token_type,
                "expires_in": lifetime, "scope": " ".join(grant["scopes"])}
        if refresh:
            body["refresh_token"] = refresh
        return body

    def app_token_body(self, access, lifetime):
        return {"access_token": access, "token_type": self.token_type, "expires_in": lifetime}

    def token_response(self, body):
        response = jsonify(body)
        response.headers["Cache-Control"] = "no-store"
        return response

    def token_error(self, error, description, status=400):
        response = jsonify(error=error, error_description=description)
        response.status_code = status
        return response


def register(api):
    """Mount /authorize (GET page, POST decision) and /token on the platform's blueprint."""
    dialect = api.dialect
    api.blueprint.add_url_rule("/authorize", "authorize", lambda: authorize(dialect),
                               methods=["GET", "POST"])
    api.blueprint.add_url_rule("/token", "token", lambda: token_endpoint(dialect), methods=["POST"])


# --- the consent page ----------------------------------------------------

def authorize(dialect):
    args = request.args
    client_id, redirect_uri = args.get(dialect.client_param), args.get("redirect_uri")
    if not client_id or not redirect_uri or not urlsplit(redirect_uri).scheme:
        return _page(dialect, 400, problem=f"Missing or invalid {dialect.client_param} or redirect_uri.")
    problem = _request_problem(dialect, args)
    if problem:
        return _back(redirect_uri, error="invalid_request" if problem[0] else "unsupported_response_type",
                     error_description=problem[1], state=args.get("state"))
    if request.method == "GET":
        return _page(dialect, 200, client_id=client_id, redirect_uri=redirect_uri,
                     scopes=_scopes(dialect, args), user=dialect.new_user(), action=request.full_path)
    if request.form.get("decision") != "agree":
        return _back(redirect_uri, **dialect.denied, state=args.get("state"))
    return _agree(dialect, args, client_id, redirect_uri)


def _request_problem(dialect, args):
    """(is_invalid_request, description) or None; False marks a bad response_type."""
    if dialect.response_type_required and args.get("response_type") != "code":
        return False, "response_type must be code"
    challenge, method = args.get("code_challenge"), args.get("code_challenge_method")
    if dialect.pkce == "required" and not challenge:
        return True, "code_challenge is required"
    if challenge and method != "S256":
        return True, "code_challenge_method must be S256"
    return None


def _agree(dialect, args, client_id, redirect_uri):
    user = request.form.get("user", "").strip() or dialect.new_user()
    if not USER_SHAPE.match(user):
        return _page(dialect, 400, problem="The sandbox account may hold letters, digits, '.', '_' and '-'.")
    code = state.issue_code(dialect.platform, {
        "client_id": client_id, "redirect_uri": redirect_uri, "user": user,
        "scopes": _scopes(dialect, args), "challenge": args.get("code_challenge"),
        "refresh": dialect.wants_refresh(args)})
    return _back(redirect_uri, code=code, state=args.get("state"))


def _scopes(dialect, args):
    raw = args.get(dialect.scope_param, "")
    return [s for s in (part.strip() for part in raw.split(dialect.scope_separator)) if s]


def _page(dialect, status, **context):
    context.setdefault("problem", None)
    return render_template_string(PAGE, name=dialect.name, **context), status


def _back(redirect_uri, **params):
    """redirect_uri with params added to its own query (None values left out)."""
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return redirect(urlunsplit(parts._replace(query=urlencode(query))), code=302)


# --- the token endpoint --------------------------------------------------

def token_endpoint(dialect):
    client_id, secret, problem = client_credentials(dialect)
    if problem:
        return dialect.token_error("invalid_client", problem, 401)
    if wrong_secret(dialect, client_id, secret):
        return dialect.token_error("invalid_client", "Invalid client")  # Spotify's 400
    grant_type = request.form.get("grant_type")
    state.count_token_call(dialect.platform, grant_type)
    if grant_type == "authorization_code":
        return exchange_code(dialect, request.form.get("code"), client_id, secret,
                             request.form.get("redirect_uri"), request.form.get("code_verifier"))
    if grant_type == "refresh_token":
        return refresh(dialect, request.form.get("refresh_token"), client_id, secret)
    if grant_type == "client_credentials" and dialect.app_tokens:
        return app_token(dialect, client_id, secret)
    if not grant_type:
        return dialect.token_error("invalid_request", "grant_type must be provided")
    return dialect.token_error("unsupported_grant_type", f"grant_type {grant_type} is not supported")


def client_credentials(dialect):
    """(client_id, secret, problem) from Basic auth or the body."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None, None, "Invalid client"
        client_id, sep, secret = decoded.partition(":")
        return (client_id, secret, None) if sep and client_id else (None, None, "Invalid client")
    return (request.form.get(dialect.client_param) or request.form.get("client_id"),
            request.form.get("client_secret"), None)


def wrong_secret(dialect, client_id, secret):
    """The sandbox's own app (what the platform clients are given while it is on) must bring
    its own secret; a public client sends none. Other client ids are taken on trust."""
    own = client_class(dialect.platform).sandbox_credentials(current_app.config)
    return client_id == own.client_id and secret is not None and not hmac.compare_digest(
        secret.encode(), (own.client_secret or "").encode())


def exchange_code(dialect, code, client_id, secret, redirect_uri, verifier):
    if not client_id:
        return dialect.token_error("invalid_client", "Invalid client", 401)
    if not code:
        return dialect.token_error("invalid_request", "code must be supplied")
    issued = state.take_code(dialect.platform, code)
    problem = _code_problem(issued, client_id, secret, redirect_uri, verifier)
    if problem:
        return dialect.token_error(*problem)
    grant = state.create_grant(dialect.platform, issued["user"], client_id, issued["scopes"],
                               pkce=bool(issued["challenge"]),
                               client_auth=_client_auth(secret, issued["challenge"]))
    return issue(dialect, grant, with_refresh=issued["refresh"])


def _code_problem(issued, client_id, secret, redirect_uri, verifier):
    if not issued:
        return "invalid_grant", "Invalid authorization code"
    if issued["client_id"] != client_id:
        return "invalid_grant", "Invalid authorization code"
    if redirect_uri is not None and redirect_uri != issued["redirect_uri"]:
        return "invalid_grant", "Invalid redirect URI"
    if issued["challenge"]:
        if not verifier or not hmac.compare_digest(s256(verifier), issued["challenge"]):
            return "invalid_grant", "code_verifier was incorrect"
    elif not secret:
        return "invalid_client", "Invalid client secret", 401
    return None


def _client_auth(secret, challenge):
    if request.headers.get("Authorization", "").lower().startswith("basic "):
        return "basic"
    return "body" if secret else ("pkce" if challenge else None)


def s256(verifier):
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def refresh(dialect, token, client_id, secret):
    if not token:
        return dialect.token_error("invalid_request", "refresh_token must be supplied")
    grant, problem = state.check_refresh(dialect.platform, token)
    if problem:
        message = "Refresh token revoked" if problem == "revoked" else "Invalid refresh token"
        return dialect.token_error("invalid_grant", message)
    if client_id and client_id != grant["client_id"]:
        return dialect.token_error("invalid_grant", "Invalid refresh token")
    if not grant["pkce"] and not secret:
        return dialect.token_error("invalid_client", "Invalid client secret", 401)
    if dialect.refresh_lifetime and state.now() >= grant["granted_at"] + dialect.refresh_lifetime:
        return dialect.token_error("invalid_grant", "Refresh token expired")
    rotate = dialect.rotates_for(grant)
    if rotate and not state.retire_refresh(dialect.platform, token):
        return dialect.token_error("invalid_grant", "Refresh token revoked")
    return issue(dialect, grant, with_refresh=rotate)


def app_token(dialect, client_id, secret):
    """The app's own token: no user behind it, so no refresh token and no scope."""
    if not client_id or not (secret or "").strip():
        return dialect.token_error("invalid_client", "Invalid client", 401)
    grant = state.create_grant(dialect.platform, None, client_id, [],
                               client_auth=_client_auth(secret, None))
    lifetime = dialect.access_lifetime
    access = state.issue_access(dialect.platform, grant["id"], lifetime, dialect.token_prefixes[0])
    return dialect.token_response(dialect.app_token_body(access, lifetime))


def issue(dialect, grant, with_refresh):
    lifetime = dialect.lifetime_for(grant["scopes"])
    access_prefix, refresh_prefix = dialect.token_prefixes
    access = state.issue_access(dialect.platform, grant["id"], lifetime, access_prefix)
    new_refresh = state.issue_refresh(dialect.platform, grant["id"], refresh_prefix) \
        if with_refresh else None
    return dialect.token_response(dialect.token_body(grant, access, new_refresh, lifetime))
