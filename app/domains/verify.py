"""Proving a domain is the label's: its token answered at
http://<hostname>/.well-known/presave-verify/<token> (the proxy in front answers it as soon as
the name points at this instance), else found in the TXT record _presave.<hostname>.

A check updates the row and never raises: what it found is told in last_error, in words. A
proven or serving domain whose proof has been missing for GRACE goes back to pending, so it
stops serving (recorded in the audit trail)."""
import ipaddress
import time
from datetime import timedelta

import dns.exception
import dns.resolver
import httpx
from flask import current_app
from sqlalchemy import select

from app import audit
from app.domains.hostnames import instance_host
from app.extensions import db
from app.models import AuditEntry
from app.localtime import now_utc
from app.models.domain import ACTIVE, PENDING, VERIFIED

CLAIMED = ("Another label on this service used this hostname before, so its address alone "
           "does not prove it: add the TXT record")
VERIFY_PATH = "/.well-known/presave-verify/"
TXT_PREFIX = "_presave."
TIMEOUT = 5  # seconds: the HTTP connect and read, and the DNS query's whole lifetime
GRACE = timedelta(hours=72)  # a lapse of a weekend's length does not take a domain down
MAX_BODY = 1024  # bytes of the answer read: a token is 32
MAX_ERROR = 300  # CustomDomain.last_error
ADDRESS_MAX_AGE = 600
ADDRESS_TIMEOUT = 2  # the admin page waits for it
_ADDRESSES = "instance_addresses"


def proof_url(domain):
    return f"http://{domain.hostname}{VERIFY_PATH}{domain.token}"


def txt_name(domain):
    return TXT_PREFIX + domain.hostname


def check(domain, now=None):
    """Look for the proof now and write what was found on the row; True when it was."""
    now = now or now_utc()
    http_error = _by_http(domain) if domain.state != PENDING or not _claimed_before(domain) \
        else CLAIMED
    dns_error = _by_dns(domain) if http_error else None
    domain.checked_at = now
    if http_error is None or dns_error is None:
        domain.verified_by = "http" if http_error is None else "dns"
        domain.verified_at, domain.failing_since, domain.last_error = now, None, None
        if domain.state == PENDING:
            domain.state = VERIFIED
            audit.record("domain.verified", domain, detail={"by": domain.verified_by})
        return True
    domain.last_error = f"{http_error}. {dns_error}"[:MAX_ERROR]
    domain.failing_since = domain.failing_since or now
    if domain.state in (VERIFIED, ACTIVE) and now - domain.failing_since >= GRACE:
        audit.record("domain.lapsed", domain, detail={"was": domain.state,
                                                     "reason": domain.last_error})
        domain.state = PENDING
    return False


def _claimed_before(domain):
    """Whether another label proved this hostname before: the HTTP proof only shows that the
    name points here (as the other label's DNS may still do), so the TXT record must show
    whose it is now."""
    return db.session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == "domain.verified", AuditEntry.object_name == domain.hostname,
        AuditEntry.label_id != domain.label_id).limit(1),
        execution_options={"all_tenants": True}) is not None


def _by_http(domain):
    """None when the token came back over HTTP, else why not."""
    shown = f"http://{domain.hostname}{VERIFY_PATH}…"
    address = current_app.config.get("DOMAIN_CHECK_ADDRESS")
    if not address:
        address, refused = _public_address(domain.hostname)
        if refused:
            return refused
    url = f"http://{address}{VERIFY_PATH}{domain.token}"
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False) as client, \
                client.stream("GET", url, headers={"Host": domain.hostname}) as response:
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= MAX_BODY:
                    break
    except httpx.TimeoutException:
        return f"{shown} did not answer within {TIMEOUT} seconds"
    except (httpx.HTTPError, OSError):
        return f"Could not connect to http://{domain.hostname}"
    if response.is_redirect:
        return (f"{shown} answered {response.status_code}, a redirect: the token must be "
                "answered at this address itself")
    if response.status_code != 200:
        return f"{shown} answered {response.status_code}"
    if body.decode("utf-8", "replace").strip() != domain.token:
        return f"{shown} answered, but not with this domain's token"
    return None


def _public_address(hostname):
    """(where to connect, None), or (None, why not). Only a public address is asked: a
    label's name pointed at the instance's own network reaches nothing there."""
    try:
        found = list(_resolver().resolve_name(hostname).addresses())
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return None, f"{hostname} does not resolve"
    except (dns.exception.DNSException, OSError, ValueError):
        return None, f"The DNS servers could not be asked for {hostname}"
    for text in found:
        address = ipaddress.ip_address(text)
        if not (address.is_global and (address.version == 4 or address.ipv4_mapped is None
                                       or address.ipv4_mapped.is_global)):
            return None, f"{hostname} points at {address}, which is not a public address"
    first = ipaddress.ip_address(found[0])
    return (f"[{first}]" if first.version == 6 else str(first)), None


def _by_dns(domain):
    """None when the TXT record holds the token, else why not."""
    name = txt_name(domain)
    try:
        answers = _resolver().resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return f"No TXT record {name}"
    except dns.exception.Timeout:
        return f"The DNS servers did not answer for {name} within {TIMEOUT} seconds"
    except (dns.exception.DNSException, OSError, ValueError):
        return f"The DNS servers could not be asked for {name}"
    found = {b"".join(record.strings).decode("utf-8", "replace").strip() for record in answers}
    if domain.token not in found:
        return f"The TXT record {name} does not hold this domain's token"
    return None


def _resolver():
    """The system's resolvers, or DOMAIN_DNS_SERVER ("host:port") alone."""
    server = current_app.config.get("DOMAIN_DNS_SERVER")
    resolver = dns.resolver.Resolver(configure=not server)
    if server:
        host, _, port = server.rpartition(":")
        resolver.nameservers = [host.strip("[]")]
        resolver.port = int(port)
    resolver.lifetime = TIMEOUT
    return resolver


def instance_addresses():
    """The instance host's addresses (what an A or AAAA record of a label's bare domain
    names), looked up at most every ADDRESS_MAX_AGE seconds in each process; [] if none."""
    host = instance_host()
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    known = current_app.extensions.get(_ADDRESSES)
    if known is None or known[0] != host or time.monotonic() - known[1] >= ADDRESS_MAX_AGE:
        found = []
        resolver = _resolver()
        resolver.lifetime = ADDRESS_TIMEOUT
        for kind in ("A", "AAAA"):
            try:
                found += [record.to_text() for record in resolver.resolve(host, kind)]
            except (dns.exception.DNSException, OSError, ValueError):
                pass
        known = current_app.extensions[_ADDRESSES] = (host, time.monotonic(), found)
    return known[2]
