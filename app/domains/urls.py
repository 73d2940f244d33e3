"""Where a label's fan pages are, as links made for fans, staff and other systems say it: on
the label's active domain (https://music.northwind.com/aurora-vale), else under the
instance's /s/."""
from flask import current_app

from app.domains import directory


FAN_PREFIX = "/s"  # where the fan pages are on the instance's own host


def fan_base(label_id):
    """What a fan page's path (/<artist>/<release>) follows."""
    return site_base(label_id, fan_prefix=FAN_PREFIX)


def site_base(label_id, fan_prefix=""):
    """What a path served the same on every host (/r/<code>) follows."""
    host = directory.active_host(label_id)
    if host is not None:
        return f"https://{host}"
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + fan_prefix


def fan_url(artist, path=""):
    """The artist's fan page (``path``: what follows it, "/<release>" or "/me")."""
    return f"{fan_base(artist.label_id)}/{artist.slug}{path}"


def instance_fan_url(artist, path=""):
    """The same on the instance's own host, for a link that must outlive any domain (a
    message's unsubscribe link)."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}{FAN_PREFIX}/{artist.slug}{path}"
