"""Where a label's fan pages are, as links made for fans, staff and other systems say it: on
the label's active domain (https://music.northwind.com/aurora-vale), else under the
instance's /s/."""
from flask import current_app

from app.domains import directory


def fan_base(label_id):
    """What a fan page's path (/<artist>/<release>) follows."""
    return site_base(label_id, fan_prefix="/s")


def site_base(label_id, fan_prefix=""):
    """What a path served the same on every host (/r/<code>) follows."""
    host = directory.active_host(label_id)
    if host is not None:
        return f"https://{host}"
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + fan_prefix


def fan_url(artist, path=""):
    """The artist's fan page (``path``: what follows it, "/<release>" or "/me")."""
    return f"{fan_base(artist.label_id)}/{artist.slug}{path}"
