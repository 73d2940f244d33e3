"""The built-in sandbox: stand-ins for each platform's accounts service and Web API.

One module per platform, named for its key, mounted at /sandbox/<key>/ (see
app.platform_table.sandbox_endpoints): `authorize` and `token` for the OAuth platforms,
`api/...` with the real API's paths under it, and for Apple Music a stand-in `musickit.js`. All state is in Redis (see
state.py); /sandbox/_admin/ controls it (see admin.py). Mounted only when
SANDBOX_ENABLED, which is never the case in production.
"""
from importlib import import_module

from app.platform_table import PLATFORM_KEYS

# the services that are not platforms: the link resolver (odesli), SMS, the ad platforms'
# conversion APIs (meta, tiktok) and the email audience tools (mailchimp, klaviyo)
STAND_INS = ("odesli", "sms", "meta", "tiktok", "mailchimp", "klaviyo")


def register_sandbox(app):
    if not app.config.get("SANDBOX_ENABLED"):
        return
    from app.sandbox import admin

    for name in (*PLATFORM_KEYS, *STAND_INS):
        app.register_blueprint(import_module(f"app.sandbox.{name}").blueprint)
    app.register_blueprint(admin.blueprint)
