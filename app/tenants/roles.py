"""The four roles, declared in code (FAB_ROLES: [view regex, permission regex])."""

ROLE_ADMIN = "Admin"
ROLE_LABEL_ADMIN = "Label Admin"
ROLE_LABEL_STAFF = "Label Staff"
ROLE_ARTIST = "Artist"

_OWN_ACCOUNT = [
    ["UserInfoEditView", "can_this_form_(get|post)"],
    ["ResetMyPasswordView", "can_this_form_(get|post)"],
    ["PresaveUserDBModelView", "can_userinfo"],
    ["TwoFactorView", "can_(index|start|confirm|disable)"],
    ["UserDBModelView", "can_userinfo"],
    ["MenuApi", "can_get"],
    ["OpenApi", "can_get"],  # whoever may call the API may read its description
    ["(Releases|Roster)", "menu_access"],
]
_STAFF = [
    ["OverviewView", "can_index"],
    ["Overview", "menu_access"],
    ["ArtistView", "can_(list|show|add|edit|delete|download)"],
    ["ReleaseView", "can_(list|show|add|edit|delete|download|announce|archive|change_dates|export"
                    "|release_now)"],
    ["(FanView|PreSaveView|ConsentView)", "can_(list|show)"],
    ["(Artists|Releases|Fans|Pre-saves|Consents)", "menu_access"],
    ["ArtistApi", "can_(get|post|put|delete|info)"],
    ["ReleaseApi", "can_(get|post|put|delete|info)"],
    ["(FanApi|PreSaveApi)", "can_(get|info)"],
    ["SwaggerView", "can_show"],
    ["AnalyticsView", "can_(index|release|artist|label|fans_csv)"],
    ["ReleaseAnalyticsApi", "can_get"],
    ["Analytics", "menu_access"],
    ["MessagesView", "can_(index|show|csv|stop)"],
    ["AutomationsView", "can_(index|edit)"],
    ["BlastView", "can_new"],
    ["OutboxView", "can_(index|show|html)"],
    ["(Fan messages|Messages|Automations|New blast|Outbox \\(development\\))", "menu_access"],
    ["ActivityView", "can_(index|csv)"],  # staff: their own entries only (app.views.activity)
    ["(Account|Activity)", "menu_access"],
]
FAB_ROLES = {
    ROLE_LABEL_ADMIN: _OWN_ACCOUNT + _STAFF + [
        ["LabelUserView", "can_(list|show|add|edit|resend|revoke)"],
        ["PlatformCredentialView", "can_(list|show|add|edit|delete|test)"],
        ["LabelPrivacyView", "can_(list|show|edit)"],
        ["FanView", "can_erase"],
        ["WebhooksView", "can_(index|add|show|edit|act|replay)"],
        ["AdPixelsView", "can_(index|save)"],
        ["EmailToolsView", "can_(index|save|act)"],
        ["RetentionView", "can_(index|save)"],
        ["DomainsView", "can_(index|add|act)"],
        ["(Account|Label Users|Platform credentials|Privacy|Webhooks|Custom domains|Ad pixels"
         "|Email tools|Data retention)", "menu_access"],
    ],
    ROLE_LABEL_STAFF: _OWN_ACCOUNT + _STAFF,
    ROLE_ARTIST: _OWN_ACCOUNT + [
        ["ArtistDashboardView", "can_(index)"],
        ["ReleaseView", "can_(list|show)"],
        ["ReleaseApi", "can_(get|info)"],
        ["AnalyticsView", "can_(index|release|artist)"],
        ["ReleaseAnalyticsApi", "can_get"],
        ["(My releases|Releases|Analytics)", "menu_access"],
    ],
}
TENANT_ROLES = (ROLE_LABEL_ADMIN, ROLE_LABEL_STAFF, ROLE_ARTIST)

# Who can do what a release's warning asks, as the permission that lets a user do it.
LABEL_ADMIN_TASK, STAFF_TASK = "label_admin", "staff"
TASKS = {LABEL_ADMIN_TASK: ("can_add", "PlatformCredentialView"),
         STAFF_TASK: ("can_edit", "ReleaseView")}


