"""Ad cookies on an artist's release pages: asked first, loaded only after a yes.

Where the artist (or its label) set up a pixel, every visitor is asked, wherever they are,
in a banner whose two answers are one tap each and look alike. The answer is kept per
artist (a cookie, half a year) and recorded with the words shown (app.models.CookieChoice).
After a yes the page loads the pixels through /static/pixels.js, and its
Content-Security-Policy allows their hosts for that response only; after a no, or before an
answer, the page loads nothing from anywhere else. A completed pre-save fires a Lead whose
event id is the one the conversion APIs get (app.jobs.conversions), so the platforms count
it once.
"""
from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request
from markupsafe import Markup

from app import languages
from app import visitors
from app.analytics import ad_pixels
from app.releases.rules import fan_page_url
from app.extensions import db
from app.languages import gettext as _
from app.localtime import now_utc
from app.jobs import conversions
from app.models import ConversionEvent, CookieChoice
from app.models.ad_pixels import ACCEPTED, PENDING, REFUSED
from app.views.public.blueprint import fan_bp
from app.views.public.custom_hosts import public_url
from app.views.public.lookup import public_artist
from app.views.public.visitor import headers

COOKIE_PREFIX = "presave_ads_"  # then the artist's id
KEEP = timedelta(days=180)
ANSWERS = {"accept": ACCEPTED, "refuse": REFUSED}
ASK_AGAIN = "reset"  # "Cookie choices": forget the answer, so the question comes back
LEAD_FLASH = "ads-lead"  # a flashed message's category: the Lead's event id, never shown


def event_id(presave_id):
    """The one id a pre-save's Lead has, in the browser and at the conversion APIs."""
    return f"presave-{presave_id}"


def agreed(artist):
    """The services this visitor accepted on the artist's pages (empty after a no), or None
    before an answer. A yes names its services, so a service added later is asked about."""
    raw = request.cookies.get(f"{COOKIE_PREFIX}{artist.id}", "")
    if raw == REFUSED:
        return frozenset()
    said, _, services = raw.partition(":")
    if said != ACCEPTED:
        return None
    return frozenset(services.split(".")) & set(ad_pixels.BY_KEY) or None


def wording(artist, pixels):
    names = languages.all_of([ad_pixels.BY_KEY[key].company for key in pixels])
    return _(ad_pixels.QUESTION, artist=artist.name, services=names)


def block(artist, release, pixels, leads=()):
    """What the page adds for ad cookies: the question, the pixels, or nothing."""
    if not pixels:
        return Markup("")
    said = agreed(artist)
    if said is None or (said and not set(pixels) <= said):
        return Markup(render_template("fan/_ads_question.html", artist=artist, release=release,
                                      question=wording(artist, pixels)))
    change = render_template("fan/_ads_change.html", artist=artist)
    if not said:
        return Markup(change)
    scripts, beacons = ad_pixels.hosts(pixels)
    headers.allow_pixels(scripts, beacons)
    return Markup(change + render_template("fan/_ads_pixels.html",
                                           data={**pixels, "leads": list(leads)}))


def converted(artist, release, presave):
    """A pre-save completed: for a visitor who accepted ad cookies, the page's pixels fire a
    Lead (flashed for the page it returns to) and, where the label gave the conversion APIs'
    tokens, the same Lead goes to each from a worker."""
    said = agreed(artist)
    if not said:
        return
    flash(event_id(presave.id), LEAD_FLASH)
    access = {service: found for service, found
              in ad_pixels.conversion_access(artist.label_id, artist.id).items()
              if service in said}
    if not access:
        return
    now = now_utc()
    url = fan_page_url(release)
    db.session.add_all([ConversionEvent(
        label_id=artist.label_id, artist_id=artist.id, presave_id=presave.id, service=service,
        event_id=event_id(presave.id), event_name="Lead", event_time=now, source_url=url,
        user_agent=request.user_agent.string[:400] or None, state=PENDING, attempts=0,
        next_attempt_at=now, created_at=now, updated_at=now) for service in access])
    db.session.commit()
    conversions.enqueue(artist.label_id)


@fan_bp.post("/<artist_slug>/cookies")
def choose(artist_slug):
    """The banner's answer: recorded with its words, kept in a cookie, then back to the page."""
    artist = public_artist(artist_slug)
    choice = ANSWERS.get(request.form.get("choice", ""))
    back = request.form.get("back", "")
    page = public_url(f"/s/{artist.slug}")  # as the fan's browser has it
    if not (back.startswith(page + "/") and back.isascii() and back.isprintable()) \
            or "//" in back or "\\" in back:
        back = page
    name = f"{COOKIE_PREFIX}{artist.id}"
    if request.form.get("choice") == ASK_AGAIN:
        response = redirect(back, 303)
        response.delete_cookie(name, path="/s/")
        return response
    pixels = ad_pixels.effective(artist.label_id, artist.id)
    if choice is None or not pixels:
        return redirect(back, 303)
    now = now_utc()
    db.session.add(CookieChoice(
        label_id=artist.label_id, artist_id=artist.id, choice=choice,
        visitor_hash=visitors.visitor_hash(request.remote_addr, request.user_agent.string,
                                           now.date()),
        wording=wording(artist, pixels), language=languages.current().code))
    db.session.commit()
    response = redirect(back, 303)
    kept = f"{ACCEPTED}:{'.'.join(sorted(pixels))}" if choice == ACCEPTED else REFUSED
    response.set_cookie(name, kept, max_age=int(KEEP.total_seconds()),
                        path="/s/", httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
