from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose

from app.tenants.roles import ROLE_ARTIST


class HomeView(IndexView):
    """"/" sends each person to where their work is: staff to the overview, artists to theirs."""

    @expose("/")
    def index(self):
        user = g.user
        if user is None or not user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login)
        if {role.name for role in user.roles} == {ROLE_ARTIST}:
            return redirect(url_for("ArtistDashboardView.index"))
        return redirect(url_for("OverviewView.index"))
