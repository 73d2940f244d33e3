"""Short links: /r/<code> sends the visitor to the release's fan page with the link's UTM
tags, counts the visit (once per visitor and day) and credits the visit's later steps (a
pre-save) to the link. Outside /s/, so the path stays short; the host is whichever the
visitor asked."""
from flask import Blueprint, redirect

from app.analytics import capture
from app.releases import share_links
from app.views.public import lookup

short_bp = Blueprint("short", __name__)


@short_bp.get("/r/<code>")
def follow(code):
    link = lookup.public_short_link(code)
    release = link.release
    capture.record("link_visit", release, once_a_day=True, link_id=link.id)
    response = redirect(share_links.destination(link), 302)
    response.headers["Cache-Control"] = "private, no-store"
    return capture.remember_link(response, release, link.id)
