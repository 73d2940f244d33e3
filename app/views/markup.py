"""Fixes to Flask-AppBuilder's page frame, which no template block reaches: the page's
language (<html lang>), for screen readers and translation; its header's invalid
role="header" (a <header> is already the banner); a name for the phone's menu button; and
on its generated pages (lists, records, forms), whose title is a panel's <h4>, that title as
the page's <h1>. Applied once to each admin HTML page."""
import re

from flask import request

OWN_FRAMES = ("/s/", "/sandbox/", "/api/")  # the fan pages and the stand-ins write their own
# FAB's generated pages open with lib.html's panel_begin: a primary panel titled in an <h4>
PANEL_TITLE = re.compile(r'(<div class="panel panel-primary[^"]*">\s*<div class="panel-heading">\s*)'
                         r'<h4 class="panel-title">(.*?)</h4>', re.S)


def admin_markup(response):
    if (request.path.startswith(OWN_FRAMES) or response.mimetype != "text/html"
            or response.is_streamed or response.direct_passthrough):
        return response
    body = response.get_data(as_text=True)
    if "<html>" not in body[:400]:
        return response
    body = (body.replace("<html>", '<html lang="en">', 1).replace(' role="header"', "", 1)
            .replace('class="navbar-toggle"', 'class="navbar-toggle" aria-label="Menu"', 1))
    if "<h1" not in body:
        body = PANEL_TITLE.sub(r'\1<h1 class="panel-title page-title">\2</h1>', body, count=1)
    response.set_data(body)
    return response
