"""Who answers for a fan's data, on every fan page: the label's own notice and terms, or the
built-in notice at /s/<artist>/privacy, which names the label as controller."""
from dataclasses import dataclass

from flask import render_template, url_for

from app.views.public import page
from app.views.public.blueprint import fan_bp
from app.views.public.lookup import public_artist


@dataclass(frozen=True)
class Privacy:
    controller: str
    contact: str | None
    notice_url: str
    terms_url: str | None
    built_in: bool


@fan_bp.app_template_global("privacy_of")
def privacy_of(artist):
    label = artist.label
    built_in = url_for("fan.privacy", artist_slug=artist.slug)
    return Privacy(controller=label.privacy_controller or label.name,
                   contact=label.privacy_contact, notice_url=label.privacy_url or built_in,
                   terms_url=label.terms_url, built_in=not label.privacy_url)


@fan_bp.get("/<artist_slug>/privacy")
def privacy(artist_slug):
    """The built-in notice; served whether or not the label has its own (linked first)."""
    artist = public_artist(artist_slug)
    return render_template("fan/privacy.html", artist=artist, privacy=privacy_of(artist),
                           theme=page.theme(artist))
