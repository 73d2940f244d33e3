"""Page views: an after-request hook on the fan blueprint records each release page shown."""
from flask import request

from app.analytics import capture
from app.extensions import db
from app.models import Release

PAGE_ENDPOINT = "fan.release"


def after_fan_request(response):
    """Record a page view for a release page served whole (GET, 200)."""
    if request.endpoint != PAGE_ENDPOINT or request.method != "GET" or response.status_code != 200:
        return response
    release = _shown_release()
    if release is not None:
        capture.record("page_view", release)
        capture.remember_source(response)
    return response


def _shown_release():
    """The release the page was rendered for: already in the session, so no second query."""
    slug = (request.view_args or {}).get("release_slug")
    artist_slug = (request.view_args or {}).get("artist_slug")
    for obj in db.session.identity_map.values():
        if isinstance(obj, Release) and obj.slug == slug and obj.artist.slug == artist_slug:
            return obj
    return None
