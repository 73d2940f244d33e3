"""What every platform's stand-in shares: the dialect (how errors look, where the
token is) and the `api` routes' plumbing (faults, then authentication)."""
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
        response = self.error(429, "Too many requests")
        response.headers["Retry-After"] = str(retry_after)
        return response

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


class SandboxAPI:
    """One platform's blueprint, mounted at /sandbox/<platform>; API views under /api."""

    def __init__(self, dialect):
        self.dialect = dialect
        self.blueprint = Blueprint(f"sandbox_{dialect.platform}", __name__,
                                   url_prefix=f"/sandbox/{dialect.platform}")
        self.route("/<path:unknown>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"],
                   auth=False)(lambda unknown: self.dialect.not_found())

    def route(self, rule, methods=("GET",), auth=True, app_token=False):
        """An API view; with auth it is called with the grant as first argument.

        Only a fan's token passes unless app_token: catalogue reads also take the
        app's own client-credentials token, whose grant has no user.
        """
        def register(view):
            @functools.wraps(view)
            def handler(**kwargs):
                answer = faults.injected(self.dialect)
                if answer is not None:
                    return answer
                if not auth:
                    return view(**kwargs)
                grant, problem = self.dialect.authenticate()
                if problem:
                    return self.dialect.unauthorized(problem)
                if grant["user"] is None and not app_token:
                    return self.dialect.user_token_required()
                return view(grant, **kwargs)
            endpoint = "api_" + (view.__name__ if view.__name__ != "<lambda>" else "unknown")
            self.blueprint.add_url_rule("/api" + rule, endpoint=endpoint, view_func=handler,
                                        methods=list(methods))
            return view
        return register
