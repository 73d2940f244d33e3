"""Page views: each release page shown whole (GET, 200) is recorded once.

The page's view gives nothing back but its response, so the release is taken from the
template it rendered (Flask's template_rendered signal), then recorded by an
after-request hook on the fan blueprint once the status is known.
"""
from flask import g, has_request_context, request, template_rendered

from app.analytics import capture

PAGE_ENDPOINT = "fan.release"
PAGE_TEMPLATE = "fan/release.html"


def _remember_release(sender, template, context, **extra):
    if template.name == PAGE_TEMPLATE and has_request_context() \
            and request.endpoint == PAGE_ENDPOINT:
        g.analytics_page_release = context.get("release")


def register(blueprint):
    """Record page views of this blueprint's release pages (call once, before registering it)."""
    template_rendered.connect(_remember_release)
    blueprint.after_request(after_fan_request)


def after_fan_request(response):
    release = g.pop("analytics_page_release", None)
    if release is not None and request.method == "GET" and response.status_code == 200:
        capture.record("page_view", release)
        capture.remember_source(response)
    return response
