"""Every admin view is registered here, in one place (the APIs: app.api.register_apis)."""
from flask import current_app

from app.views.account import AccountView, TwoFactorView
from app.views.activity import ActivityView
from app.views.analytics import AnalyticsView
from app.views.artists import ArtistView
from app.views.base import mark_rejected_forms
from app.views.credentials import PlatformCredentialView
from app.views.webhooks import WebhooksView
from app.views.ad_pixels import AdPixelsView
from app.views.email_tools import EmailToolsView
from app.views.dashboard import ArtistDashboardView
from app.views.domains import DomainsView
from app.views.fans import ConsentView, FanView, PreSaveView
from app.views.headers import admin_headers
from app.views.labels import LabelPrivacyView, LabelView
from app.views.markup import admin_markup
from app.views.automations import AutomationsView
from app.views.blasts import BlastView
from app.views.messages import MessagesView
from app.views.outbox import OutboxView
from app.views.overview import OverviewView
from app.views.releases import ReleaseView
from app.views.retention import RetentionView
from app.views.users import LabelUserView


def register_views(appbuilder):
    appbuilder.add_view(OverviewView, "Overview", icon="fa-home")
    appbuilder.add_view(LabelView, "Labels", icon="fa-building", category="Platform")
    appbuilder.add_view(ArtistView, "Artists", icon="fa-microphone", category="Roster")
    appbuilder.add_view(ReleaseView, "Releases", icon="fa-compact-disc", category="Roster")
    appbuilder.add_view(FanView, "Fans", icon="fa-users", category="Roster")
    appbuilder.add_view(PreSaveView, "Pre-saves", icon="fa-list", category="Roster")
    appbuilder.add_view(ConsentView, "Consents", icon="fa-check-square", category="Roster")
    appbuilder.add_view(LabelUserView, "Label Users", icon="fa-user", category="Account")
    appbuilder.add_view(PlatformCredentialView, "Platform credentials", icon="fa-key",
                        category="Account")
    appbuilder.add_view(LabelPrivacyView, "Privacy", icon="fa-user-shield", category="Account")
    appbuilder.add_view(WebhooksView, "Webhooks", icon="fa-plug", category="Account")
    appbuilder.add_view(DomainsView, "Custom domains", icon="fa-globe", category="Account")
    appbuilder.add_view(AdPixelsView, "Ad pixels", icon="fa-bullseye", category="Account")
    appbuilder.add_view(EmailToolsView, "Email tools", icon="fa-address-book", category="Account")
    appbuilder.add_view(RetentionView, "Data retention", icon="fa-hourglass-half",
                        category="Account")
    appbuilder.add_view(ActivityView, "Activity", icon="fa-history", category="Account")
    appbuilder.add_view(ArtistDashboardView, "My releases", icon="fa-music")
    appbuilder.add_view(AnalyticsView, "Analytics", icon="fa-chart-line")
    appbuilder.add_view(MessagesView, "Messages", icon="fa-envelope", category="Fan messages")
    appbuilder.add_view(BlastView, "New blast", icon="fa-bullhorn", category="Fan messages")
    appbuilder.add_view(AutomationsView, "Automations", icon="fa-magic", category="Fan messages")
    if current_app.config.get("MAIL_CATCHER_DIR"):  # `python run.py` without SMTP_HOST
        appbuilder.add_view(OutboxView, "Outbox (development)", icon="fa-inbox",
                            category="Fan messages")
    else:  # registered all the same, so `flask init` syncs its permissions; it answers 404
        appbuilder.add_view_no_menu(OutboxView)
    appbuilder.add_view_no_menu(AccountView)
    appbuilder.add_view_no_menu(TwoFactorView)

    current_app.after_request(mark_rejected_forms)
    current_app.after_request(admin_headers)
    current_app.after_request(admin_markup)
