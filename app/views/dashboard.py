from flask import g
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import func, select

from app.releases import rules as release_rules
from app.extensions import db
from app.models import Artist, PreSave, Release


class ArtistDashboardView(BaseView):
    """An Artist user's home: their own releases and pre-save counts, read-only."""

    route_base = "/my"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        artist = db.session.scalars(select(Artist)).first()
        releases = db.session.scalars(select(Release).order_by(Release.release_at.desc())).all()
        counts = dict(db.session.execute(
            select(PreSave.release_id, func.count()).group_by(PreSave.release_id)).all())
        return self.render_template(
            "artist_dashboard.html", artist=artist, releases=releases, counts=counts,
            fan_page_url=release_rules.fan_page_url, artwork_url=release_rules.artwork_url,
            user=g.user)
