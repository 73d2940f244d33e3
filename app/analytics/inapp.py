"""In-app browsers (Instagram, TikTok, Facebook, ...) break OAuth logins: tell them apart by user agent."""
import re
from functools import lru_cache

# (app name, pattern); the first match wins, so the more specific ones come first.
IN_APP_BROWSERS = [
    ("Instagram", r"\bInstagram\b"),
    ("Messenger", r"FBAN/Messenger|FB_IAB/MESSENGER|\bMessengerForiOS\b|\bMessengerLite"),
    ("Facebook", r"\bFBAN/|\bFBAV/|\bFB_IAB\b|\bFBIOS\b|\bFB4A\b"),
    ("Threads", r"\bBarcelona \d"),
    ("TikTok", r"musical_ly|\bTikTok\b|BytedanceWebview|\btrill_\d"),
    ("Snapchat", r"\bSnapchat\b"),
    ("X (Twitter)", r"\bTwitter(?:Android)?\b"),
    ("LinkedIn", r"\bLinkedInApp\b"),
    ("Pinterest", r"\bPinterest\b"),
    ("WeChat", r"\bMicroMessenger\b"),
    ("LINE", r"\bLine/\d"),
]
_COMPILED = [(name, re.compile(pattern)) for name, pattern in IN_APP_BROWSERS]
_ANY = re.compile("|".join(f"(?:{pattern})" for _, pattern in IN_APP_BROWSERS))  # one pass
MAX_UA = 1024  # user agents longer than this are not real browsers; don't scan megabytes


@lru_cache(maxsize=1024)  # a few hundred user agents make most of the traffic
def in_app_browser(user_agent):
    """The name of the app whose built-in browser sent ``user_agent``, or None."""
    if not user_agent or not isinstance(user_agent, str):
        return None
    head = user_agent[:MAX_UA]
    if not _ANY.search(head):  # most visitors: one search instead of one per app
        return None
    return next((name for name, pattern in _COMPILED if pattern.search(head)), None)
