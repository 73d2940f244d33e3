"""Three fixes to Flask-AppBuilder's page frame, which no template block reaches: the page's
language (<html lang>), for screen readers and translation; its header's invalid
role="header" (a <header> is already the banner); a name for the phone's menu button.
Applied once to each admin HTML page."""
from flask import request

OWN_FRAMES = ("/s/", "/sandbox/", "/api/")  # the fan pages and the stand-ins write their own


def admin_markup(response):
    if (request.path.startswith(OWN_FRAMES) or response.mimetype != "text/html"
            or response.is_streamed or response.direct_passthrough):
        return response
    body = response.get_data(as_text=True)
    if "<html>" not in body[:400]:
        return response
    body = (body.replace("<html>", '<html lang="en">', 1).replace(' role="header"', "", 1)
            .replace('class="navbar-toggle"', 'class="navbar-toggle" aria-label="Menu"', 1))
    response.set_data(body)
    return response
