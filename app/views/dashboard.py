from flask import g
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import select

from app.extensions import db
from app.models import Artist, Release


class ArtistDashboardView(BaseView):
    """An Artist user's home: their own releases, read-only."""

    route_base = "/my"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        artist = db.session.scalars(select(Artist)).first()
        releases = db.session.scalars(select(Release).order_by(Release.release_at.desc())).all()
        return self.render_template("artist_dashboard.html", artist=artist, releases=releases,
                                    user=g.user)
