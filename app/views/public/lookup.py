"""Find the public artist or release behind a fan page URL, and act as that artist from then on.

Fans are anonymous, so there is no scope to query with: the one lookup by slug
reads across tenants, then the request is scoped to the artist it found.
"""
from functools import lru_cache

from flask import abort
from sqlalchemy import bindparam, select
from sqlalchemy.orm import contains_eager

from app.extensions import db
from app.models import Artist, Release, ShortLink
from app.models.release import PUBLIC_STATUSES
from app.tenants.context import Scope, set_request_scope
from app.views.public import language
from app.views.public.custom_hosts import custom_domain

ALL_TENANTS = {"all_tenants": True}
MAX_SLUG = 80  # the column width: anything longer cannot exist


def public_artist(artist_slug):
    """The artist with this slug, or a 404; the request is scoped to it."""
    if not _plausible(artist_slug):
        abort(404)
    artist = db.session.scalars(select(Artist).where(Artist.slug == artist_slug),
                                execution_options=ALL_TENANTS).first()
    if artist is None:
        abort(404)
    _act_as(artist)
    return artist


def public_release(artist_slug, release_slug):
    """(artist, release) for a public release, or a 404 (drafts are never public)."""
    if not (_plausible(artist_slug) and _plausible(release_slug)):
        abort(404)
    release = db.session.scalars(_release_by_slugs(), {"artist": artist_slug,
                                                        "release": release_slug},
                                 execution_options=ALL_TENANTS).first()
    if release is None:
        abort(404)
    _act_as(release.artist)
    return release.artist, release


@lru_cache(maxsize=1)
def _release_by_slugs():
    """Built once: every fan page asks it, and building a statement costs as much as running it."""
    return (select(Release).join(Release.artist).options(contains_eager(Release.artist))
            .where(Artist.slug == bindparam("artist"), Release.slug == bindparam("release"),
                   Release.status.in_(PUBLIC_STATUSES)).limit(1))


def public_short_link(code):
    """The short link with this code, of a public release, or a 404; the request is scoped to
    the release's artist."""
    if not (isinstance(code, str) and 0 < len(code) <= 16):
        abort(404)
    link = db.session.scalars(
        select(ShortLink).join(ShortLink.release).join(Release.artist)
        .options(contains_eager(ShortLink.release).contains_eager(Release.artist))
        .where(ShortLink.code == code, Release.status.in_(PUBLIC_STATUSES)),
        execution_options=ALL_TENANTS).first()
    if link is None:
        abort(404)
    _act_as(link.release.artist)
    return link


def public_releases(artist):
    """The artist's public releases, newest release first (needs the artist's scope)."""
    stmt = (select(Release).where(Release.artist_id == artist.id,
                                  Release.status.in_(PUBLIC_STATUSES))
            .order_by(Release.release_at.desc()))
    return db.session.scalars(stmt).all()


def _plausible(slug):
    return isinstance(slug, str) and 0 < len(slug) <= MAX_SLUG


def _act_as(artist):
    on = custom_domain()
    if on is not None and on.label_id != artist.label_id:
        abort(404)  # a label's domain serves its own artists only
    set_request_scope(Scope.artist(artist.label_id, artist.id, actor="fan"))
    language.adopt(artist)
