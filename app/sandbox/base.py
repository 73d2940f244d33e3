"""What every platform's stand-in shares: the dialect (how errors look, where the
token is) and the `api` routes' plumbing (faults, then authentication); and what the other
stand-ins (ad conversions, email audiences) share with them: the blueprint, faults before
anything else, a request's JSON object, a JSON error, Retry-After, where state is kept."""
import functools

from flask import Blueprint, jsonify, request

from app.sandbox import faults, ids, state

UNAUTHORIZED = {"missing": "No token provided", "invalid": "Invalid access token",
                "revoked": "Invalid access token", "expired": "The access token expired"}


class Dialect:
    """Override error() at least; the rest derive from it."""
    platform = ""
    name = ""

    def error(self, status, message, **extra):
        raise NotImplementedError

    def unauthorized(self, problem):
        return self.error(401, UNAUTHORIZED[problem])

    def user_token_required(self):
        """An app's own token at a user's endpoint (/me, the library)."""
        return self.error(403, "This endpoint needs a user's access token")

    def rate_limited(self, retry_after):
        # Sent on every 429, although only Spotify documents Retry-After.
        return retry_later(self.error(429, "Too many requests"), retry_after)

    def quota_exceeded(self, retry_after):
        return self.rate_limited(retry_after)

    def unavailable(self):
        return self.error(503, "Service unavailable")

    def not_found(self):
        return self.error(404, "Service not found")

    def token(self):
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        return value.strip() if scheme.lower() == "bearer" else None

    def authenticate(self):
        """(grant, problem) for the request's credentials."""
        token = self.token()
        if not token:
            return None, "missing"
        return state.check_access(self.platform, token)

    def new_user(self):
        return ids.new_user_id(self.platform)


def json_error(status, body, mimetype="application/json"):
    response = jsonify(body)
    response.status_code = status
    response.mimetype = mimetype
    return response


def retry_later(response, seconds):
    """A throttling answer with Retry-After in seconds, which the clients honour when
    present."""
    response.headers["Retry-After"] = str(seconds)
    return response


def json_body():
    """The request's JSON object, or None (no JSON, or JSON that is not an object)."""
    found = request.get_json(silent=True)
    return found if isinstance(found, dict) else None


def blueprint_for(service):
    """A stand-in's blueprint, mounted at /sandbox/<service> (see app.sandbox)."""
    return Blueprint(f"sandbox_{service}", __name__, url_prefix=f"/sandbox/{service}")


def state_key(service):
    """The prefix of a stand-in's keys in Redis: under state.PREFIX, so state.reset() forgets
    them."""
    return f"{state.PREFIX}{service}:"


def faults_first(dialect, refuse=None):
    """A view decorator: an injected fault answers before anything else, as the real service
    fails before it looks at a request; then ``refuse()``, when given, may answer instead of
    the view (credentials the service would not take)."""
    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            answer = faults.injected(dialect)
            if answer is None and refuse is not None:
                answer = refuse()
            return view(*args, **kwargs) if answer is None else answer
        return guarded
    return decorate


class SandboxAPI:
    """One platform's blueprint, mounted at /sandbox/<platform>; API views under /api."""

    def __init__(self, dialect):
        self.dialect = dialect
        self.blueprint = blueprint_for(dialect.platform)
        self.route("/<path:unknown>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"],
                   auth=False)(lambda unknown: self.dialect.not_found())

    def route(self, rule, methods=("GET",), auth=True, app_token=False):
        """An API view; with auth it is called with the grant as first argument.

        Only a fan's token passes unless app_token: catalogue reads also take the
        app's own client-credentials token, whose grant has no user.
        """
        def register(view):
            @functools.wraps(view)
            def authenticated(**kwargs):
                grant, problem = self.dialect.authenticate()
                if problem:
                    return self.dialect.unauthorized(problem)
                if grant["user"] is None and not app_token:
                    return self.dialect.user_token_required()
                return view(grant, **kwargs)
            handler = faults_first(self.dialect)(authenticated if auth else view)
            endpoint = "api_" + (view.__name__ if view.__name__ != "<lambda>" else "unknown")
            self.blueprint.add_url_rule("/api" + rule, endpoint=endpoint, view_func=handler,
                                        methods=list(methods))
            return view
        return register
