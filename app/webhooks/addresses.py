"""Where a webhook may be sent. An endpoint is an https URL (http too outside production);
before each request its host is resolved and every address checked, and the request goes to
the checked address (the name kept for the Host header and TLS), so a name that resolves
elsewhere a second later (DNS rebinding) cannot lead inside. Private, loopback, link-local
and other non-public addresses are refused unless WEBHOOKS_ALLOW_PRIVATE (development)."""
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

MAX_URL = 500


class Refused(ValueError):
    """An address a webhook may not go to, with the reason in words."""


@dataclass(frozen=True)
class Target:
    url: str  # the URL with the checked address in place of the name
    host: str  # the name (and port), for the Host header
    server_name: str  # the name, for TLS
    address: str


def check_url(url, config):
    """The URL, trimmed, if its form is acceptable (the address is checked when sending)."""
    text = str(url or "").strip()
    if not text:
        raise Refused("Give the endpoint’s URL (https://…)")
    if len(text) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in text):
        raise Refused(f"The URL is one line of at most {MAX_URL} characters")
    parts = urlsplit(text)
    allowed = ("https",) if config.get("WEBHOOKS_REQUIRE_HTTPS") else ("https", "http")
    if parts.scheme not in allowed:
        raise Refused("Endpoints must use https://" if parts.scheme == "http" else
                      "Give a web address starting with https://")
    if not parts.hostname or parts.username or parts.password:
        raise Refused("Give the endpoint’s host, without a user name or password")
    try:
        parts.port  # noqa: B018 (raises on a port out of range)
    except ValueError:
        raise Refused("The port is not a number from 1 to 65535") from None
    if not config.get("WEBHOOKS_ALLOW_PRIVATE"):
        _check_literal(parts.hostname)
    return text


def _check_literal(host):
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            raise Refused(f"{host} is not a public address") from None
        return
    _check_address(address)


def _check_address(address):
    if not address.is_global or address.is_multicast:
        raise Refused(f"{address} is not a public address (private, loopback, link-local or "
                      "reserved)")


def resolve(url, config):
    """The Target to connect to: the URL's host resolved and each of its addresses checked.
    Raises Refused."""
    parts = urlsplit(check_url(url, config))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Refused(f"{parts.hostname} does not resolve") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not config.get("WEBHOOKS_ALLOW_PRIVATE"):
        for address in addresses:
            _check_address(address)
    address = addresses[0]
    shown = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{shown}:{parts.port}" if parts.port else shown
    return Target(urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")),
                  parts.netloc, parts.hostname, str(address))
