"""What a user agent tells analytics: a bot or link-preview fetcher (not counted), the device."""
import re
from functools import lru_cache

from crawlerdetect import CrawlerDetect

from app.analytics.inapp import in_app_browser

MAX_UA = 1024  # longer user agents are not browsers; don't scan megabytes
_TABLET = re.compile(r"iPad|Tablet|PlayBook|Silk/|Kindle|Android(?!.*Mobile)", re.I)
_MOBILE = re.compile(r"Mobi|iPhone|iPod|Android|Windows Phone|BlackBerry|Opera Mini", re.I)
_detector = CrawlerDetect()


@lru_cache(maxsize=4096)
def is_bot(user_agent):
    """Crawlers, link-preview fetchers (Slack, WhatsApp, Discord, facebookexternalhit, ...),
    headless browsers and HTTP libraries (curl, python-requests, aiohttp). A request with
    no user agent is no browser either."""
    if not user_agent:
        return True
    return bool(_detector.isCrawler(user_agent[:MAX_UA]))


@lru_cache(maxsize=4096)
def device_class(user_agent):
    """mobile | tablet | desktop."""
    head = (user_agent or "")[:MAX_UA]
    if _TABLET.search(head):
        return "tablet"
    return "mobile" if _MOBILE.search(head) else "desktop"


@lru_cache(maxsize=4096)
def in_app(user_agent):
    """An app's built-in browser (Instagram, TikTok, ...), as the fan page tells them apart."""
    return in_app_browser(user_agent) is not None
