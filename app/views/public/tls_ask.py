"""The TLS proxy's question before it asks for a certificate: is this hostname served here?

Caddy's on-demand TLS asks GET /internal/tls-ask?domain=<host> and obtains a certificate only
on a 200: this answers 200 for a label's active domain and 404 for anything else, so nobody
can make the proxy request certificates for names of their choosing. Only the proxy may ask:
from loopback with no X-Forwarded-For (a request the proxy passed on from outside has one),
or anywhere with TLS_ASK_SECRET as ``key``."""
from flask import Blueprint, abort, current_app, request

from app.domains import directory
from app.domains.hostnames import BadHostname, normalise
from app.models.domain import ACTIVE
from app.views.public.internal_callers import from_this_machine, holds

internal_bp = Blueprint("internal", __name__, url_prefix="/internal")


@internal_bp.get("/tls-ask")
def tls_ask():
    if not _from_the_proxy():
        abort(403, "Only the TLS proxy may ask this")
    try:
        host = normalise(request.args.get("domain", ""))
    except BadHostname:
        abort(404, "Not a hostname served here")
    known = directory.find(host)
    if known is None or known.state != ACTIVE:
        abort(404, "Not a hostname served here")
    return "", 200


def _from_the_proxy():
    return (holds(current_app.config.get("TLS_ASK_SECRET"), request.args.get("key", ""))
            or from_this_machine())
