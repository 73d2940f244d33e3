"""Staff's home: the label's week at a glance (app.releases.overview) with each live
campaign's pace, and for the platform admin the same across labels plus queue health."""
from flask import g
from flask_appbuilder import BaseView, expose, has_access

from app.analytics import queries as analytics
from app.jobs.health import queue_health
from app.localtime import now_utc
from app.releases import overview, rules as release_rules
from app.releases.ledger import SHOWN_STATES, STATE_LABELS
from app.tenants.context import current_scope
from app.tenants.security import may_do
from app.views.releases import status_badge


class OverviewView(BaseView):
    route_base = "/overview"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        now = now_utc()
        campaigns = overview.live_campaigns()
        everything = current_scope().everything
        return self.render_template(
            "overview.html", now=now, user=g.user, everything=everything,
            drops=overview.drops(now), campaigns=campaigns,
            pace=analytics.pace([release.id for release in campaigns], now.date()),
            actions=overview.needing_action(now, may_do), night=overview.last_release_night(now),
            health=queue_health() if everything else None,
            states=SHOWN_STATES, state_labels=STATE_LABELS, badge=status_badge,
            fan_page_url=release_rules.fan_page_url, artwork_url=release_rules.artwork_url,
            can_add=self.appbuilder.sm.has_access("can_add", "ReleaseView"))
