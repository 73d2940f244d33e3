"""What a label may add as its domain: a DNS name of its own, never the instance's."""
import re
from urllib.parse import urlsplit

from flask import current_app

LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
MAX_LENGTH = 253


class BadHostname(ValueError):
    """Why a hostname cannot be a label's domain, in words for the form."""


def normalise(text):
    """``text`` as the hostname it names (lower case, no scheme, path or trailing dot), or
    BadHostname saying what is wrong with it."""
    host = (text or "").strip().lower()
    if "://" in host:
        try:
            host = urlsplit(host).hostname or ""
        except ValueError:  # "http://[::1" and the like
            raise BadHostname("That is not a hostname: use letters, digits, hyphens and dots") \
                from None
    host = host.split("/", 1)[0].rstrip(".")
    if not host:
        raise BadHostname("Enter a hostname, such as music.yourlabel.com")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise BadHostname("That is not a hostname: use letters, digits, hyphens and dots") \
            from None
    labels = host.split(".")
    if len(host) > MAX_LENGTH or not all(LABEL.match(part) for part in labels):
        raise BadHostname("That is not a hostname: use letters, digits, hyphens and dots, "
                          "such as music.yourlabel.com")
    if len(labels) < 2 or labels[-1].isdecimal():
        raise BadHostname("Use a full domain name, such as music.yourlabel.com (not an "
                          "address or a single word)")
    if host == instance_host() or host.endswith("." + instance_host()):
        raise BadHostname("That is this service's own address: use a domain of your label's")
    return host


def instance_host():
    """The hostname of PUBLIC_BASE_URL, where the admin, the API and the sign-ins live."""
    return (urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "").lower()
