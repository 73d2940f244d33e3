"""What a label admin needs to register its app on a platform, and "Test connection".

setup(key) says what to paste into the platform's developer console (the redirect URI is
the caller's: the fan routes build it), the scopes fans are asked for and where that console
is. test(key, credentials) makes the cheapest call the app's credentials alone can make
(Platform.check_app) at the endpoints those credentials are used with, and says the answer
in words. Neither the secrets nor the platform's raw answer reach the words or the log.
"""
import logging
from dataclasses import dataclass

from app.platform_table import descriptor
from app.platforms import app_users
from app.platforms.errors import NotSupported, PlatformError
from app.platforms.registry import client_class, client_with

log = logging.getLogger(__name__)

ACCEPTED, REFUSED, UNREACHABLE, UNTESTABLE, INCOMPLETE = (
    "accepted", "refused", "unreachable", "untestable", "incomplete")
FIELD_WORDS = {"client_id": "the client id", "client_secret": "the client secret"}


@dataclass(frozen=True)
class Setup:
    name: str
    signs_in_with_redirect: bool  # False: Apple's MusicKit signs the fan in on the page
    scopes: tuple[str, ...]
    follow_scopes: tuple[str, ...]  # asked on top when the artist asks fans to follow them
    console_name: str | None
    console_url: str | None
    testable: bool  # False: nothing but a fan's sign-in can tell (untestable())


def setup(key) -> Setup:
    found, client = descriptor(key), client_class(key)
    scopes = tuple(client.scopes())
    console = found.console or (None, None)
    return Setup(found.name, found.endpoints.authorize is not None, scopes,
                 tuple(s for s in client.scopes(follow=True) if s not in scopes), *console,
                 testable=client.app_check)


def untestable(name):
    return (f"{name} cannot be tested without a fan: it has no call an app can make on its own. "
            "A fan's first sign-in will show whether these credentials work.")


@dataclass(frozen=True)
class Answer:
    outcome: str
    words: str

    @property
    def ok(self):
        return self.outcome == ACCEPTED


def test(key, credentials, label_id=None) -> Answer:
    """``label_id``: whose own credentials these are, for what an app with a user limit has
    connected so far."""
    answer = _answer(key, credentials)
    log.info("%s connection test: %s", key, answer.outcome)
    if answer.ok and credentials.user_limit is not None and label_id is not None:
        count = app_users.connected(label_id, key, own=True)
        return Answer(answer.outcome, f"{answer.words} {_limit_words(key, credentials, count)}")
    return answer


def _limit_words(key, credentials, count):
    name, most = descriptor(key).name, credentials.user_limit
    return (f"In development mode {name} lets this app connect at most {most} fans, each on "
            f"its allow-list: {count} ha{'s' if count == 1 else 've'} connected so far, and "
            "after that the fan page offers reminders instead. "
            f"{name} does not say which mode an app is in: if yours has extended quota, set "
            "the quota mode to Extended.")


def _answer(key, credentials):
    found = descriptor(key)
    missing = [field for field in found.required if not getattr(credentials, field)]
    if missing:
        return Answer(INCOMPLETE, f"Nothing to test yet: store {_listed(key, missing)} first.")
    try:
        with client_with(key, credentials) as client:
            client.check_app()
    except NotSupported:
        return Answer(UNTESTABLE, untestable(found.name))
    except PlatformError as exc:
        return _failure(found, client_class(key), exc)
    return Answer(ACCEPTED, f"{found.name} accepted these credentials.")


def _failure(found, client, exc):
    if exc.code == "credentials":  # refused here, before any call: the message says why
        return Answer(INCOMPLETE, f"{exc.message}.")
    if exc.code == "network":
        return Answer(UNREACHABLE, f"{found.name} could not be reached (a network error), so "
                                   "the credentials were not checked. Try again in a moment.")
    if exc.status == 429:
        return Answer(UNREACHABLE, f"{found.name} asks to slow down (HTTP 429), so the "
                                   "credentials were not checked. Try again in a minute.")
    if exc.transient:
        return Answer(UNREACHABLE, f"{found.name} is not answering right now (HTTP "
                                   f"{exc.status}), so the credentials were not checked. Try "
                                   "again later.")
    why = exc.code if exc.code and not exc.code.isdigit() else f"HTTP {exc.status}"
    where = f"in the {found.console[0]}" if found.console else f"with {found.name}"
    return Answer(REFUSED, f"{found.name} refused {client.app_credentials} ({why}): check "
                           f"them {where}.")


def _listed(key, fields):
    extra = descriptor(key).extra_help or "the extra secret"
    names = [FIELD_WORDS.get(field, extra) for field in fields]
    return " and ".join(names)
