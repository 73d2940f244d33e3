"""Page views: an after-request hook on the fan blueprint records each release page shown."""
from flask import request
from sqlalchemy import select

from app.analytics import capture
from app.extensions import db
from app.models import Release
from app.tenants.context import current_scope

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
    """(id, artist_id, label_id) of the release the page was rendered for, in the artist
    scope the page set; from the session when the page left it there, else one query."""
    args = request.view_args or {}
    scope = current_scope()
    if scope is None or scope.artist_id is None:
        return None
    for obj in db.session.identity_map.values():
        if isinstance(obj, Release) and obj.artist_id == scope.artist_id \
                and obj.slug == args.get("release_slug"):
            return obj
    return db.session.execute(select(Release.id, Release.artist_id, Release.label_id).where(
        Release.artist_id == scope.artist_id, Release.slug == args.get("release_slug"))).first()
