"""Plain HTTP for the platform clients: one httpx.Client, errors mapped by the platform.

httpx logs every request URL at INFO. Deezer puts the access token (and, at
its token endpoint, the app secret and code) in the query string, Google and the
link resolver their API key, so a filter on the "httpx" logger blanks those values
before any handler sees them.
"""
import logging
import re

import httpx

from app import metrics
from app.platforms.errors import TransientError
from app.platforms.flow import drive

_SECRET_PARAMS = re.compile(
    r"((?:access_token|refresh_token|code|code_verifier|secret|client_secret|key)=)[^&\s\"']+")


def redact(text):
    return _SECRET_PARAMS.sub(r"\1[redacted]", str(text))


class _RedactSecrets(logging.Filter):
    def filter(self, record):
        if record.args:
            record.args = tuple(redact(a) if isinstance(a, (str, httpx.URL)) else a
                                for a in record.args)
        record.msg = redact(record.msg)
        return True


def _install_redaction():
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactSecrets) for f in logger.filters):
        logger.addFilter(_RedactSecrets())


_install_redaction()


NETWORK = "network"  # the status of a call that got no answer


class Http:
    """Requests on behalf of one platform client; a failed answer raises its PlatformError."""

    def __init__(self, platform, transport=None, timeout=10.0):
        self.platform = platform
        self.client = httpx.Client(transport=transport, timeout=timeout,
                                   headers={"User-Agent": "Presave (+pre-save campaigns)"})

    def close(self):
        self.client.close()

    def url(self, path):
        return path if path.startswith(("http://", "https://")) else self.platform.endpoints.api + path

    def request(self, method, path, **kwargs) -> httpx.Response:
        try:
            response = self.client.request(method, self.url(path), **kwargs)
        except httpx.TransportError as exc:
            raise unreachable(self.platform, exc) from None
        self.platform.check_response(response)
        return response

    def json(self, method, path, **kwargs):
        response = self.request(method, path, **kwargs)
        return response.json() if response.content else None

    def send(self, request) -> httpx.Response:
        """One app.platforms.flow.Request, checked like request()."""
        return self.request(request.method, request.url, params=request.params,
                            headers=request.headers, content=request.content)

    def run(self, flow):
        """Drive a request flow (see app.platforms.flow) over this client."""
        return drive(flow, self.send)


def network_error(name, exc):
    return TransientError(f"{name}: network error ({type(exc).__name__})", code="network")


def unreachable(platform, exc):
    """The error of a call to ``platform`` that got no answer, counted as a call with status
    "network" (beside the HTTP statuses Platform.check_response counts)."""
    metrics.platform_answered(platform.key, NETWORK)
    return network_error(platform.name, exc)
