"""Where a webhook may be sent. An endpoint is an https URL (http too outside production);
before each request its host is resolved and every address checked, and the request goes to
the checked address (the name kept for the Host header and TLS), so a name that resolves
elsewhere a second later (DNS rebinding) cannot lead inside. Private, loopback, link-local
and other non-public addresses are refused unless WEBHOOKS_ALLOW_PRIVATE (development), and so
is an IPv6 address that carries a non-public IPv4 one (a NAT64 or 6to4 gateway would forward
there). A name in other scripts is resolved and sent in its IDNA (punycode) form."""
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

MAX_URL = 500
# IPv6 ranges whose last 32 bits are an IPv4 address a gateway (NAT64) or the host itself
# (IPv4-compatible, deprecated) would reach.
CARRY_IPV4 = [ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("::/96")]
# Local-use NAT64 (RFC 8215): where the IPv4 address sits depends on the operator's prefix,
# and what it reaches is the operator's own network, so it is never public.
LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


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
    try:
        parts = urlsplit(text)
    except ValueError:  # a malformed [IPv6] host, or one that Unicode turns into a separator
        raise Refused("Give a web address starting with https://") from None
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
    host = _ascii_name(parts.hostname)
    if not config.get("WEBHOOKS_ALLOW_PRIVATE"):
        _check_literal(host)
    return text


def _ascii_name(host):
    """The host as DNS, the Host header and TLS know it: a name in other scripts in its IDNA
    (punycode) form, as browsers send it (httpx's IDNA 2008 encoding); ASCII unchanged."""
    if host.isascii():
        return host
    try:
        return httpx.URL(scheme="https", host=host).raw_host.decode("ascii")
    except (httpx.InvalidURL, UnicodeError):
        raise Refused(f"{host} is not a valid host name") from None


def _check_literal(host):
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            raise Refused(f"{host} is not a public address") from None
        return
    _check_address(address)


def _check_address(address):
    if not all(_public(each) for each in (address, *_carried_ipv4(address))):
        raise Refused(f"{address} is not a public address (private, loopback, link-local or "
                      "reserved)")


def _public(address):
    return address.is_global and not address.is_multicast and address not in LOCAL_NAT64


def _carried_ipv4(address):
    """The IPv4 addresses an IPv6 address embeds (mapped, IPv4-compatible, NAT64, 6to4,
    Teredo's server and client): a packet to it ends up at them, so they must be public too
    (64:ff9b::a9fe:a9fe is the cloud metadata address behind a NAT64 gateway)."""
    if address.version == 4:
        return []
    if address.ipv4_mapped:
        return [address.ipv4_mapped]
    if address.sixtofour:
        return [address.sixtofour]
    if address.teredo:
        return list(address.teredo)
    if any(address in network for network in CARRY_IPV4):
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    return []


def resolve(url, config):
    """The Target to connect to: the URL's host resolved and each of its addresses checked.
    Raises Refused."""
    parts = urlsplit(check_url(url, config))
    name = _ascii_name(parts.hostname)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Refused(f"{parts.hostname} does not resolve") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not config.get("WEBHOOKS_ALLOW_PRIVATE"):
        for address in addresses:
            _check_address(address)
    address = addresses[0]
    netloc = _netloc(str(address), parts.port)
    return Target(urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")),
                  _netloc(name, parts.port), name, str(address))


def _netloc(host, port):
    """host[:port], an IPv6 address in brackets."""
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}" if port else shown
