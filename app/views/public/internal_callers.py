"""Who may ask the internal routes (/internal/tls-ask, /metrics): a program on this machine,
or one holding the route's secret."""
import hmac
import ipaddress

from flask import request


def from_this_machine():
    """Loopback, and not passed on by the proxy (a request it relays from outside carries
    X-Forwarded-For, and comes from loopback too)."""
    if request.headers.get("X-Forwarded-For") is not None:
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def holds(secret, given):
    """``given`` is the configured ``secret`` (never true when none is configured)."""
    return bool(secret and given) and hmac.compare_digest(given.encode(), secret.encode())
