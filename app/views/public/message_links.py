"""A tracked link of an email (app.messaging.tracking): counted on the recipient's row, then a
302 to the message's own link (the fan page, or the release on the fan's platform through
/go/). Crawlers and link scanners are sent on without being counted."""
from flask import abort, redirect, request
from sqlalchemy import update

from app.analytics.useragents import is_bot
from app.extensions import db
from app.localtime import now_utc
from app.messaging import tracking
from app.models import MessageRecipient
from app.releases.rules import fan_page_url
from app.views.public.blueprint import fan_bp
from app.views.public.lookup import public_artist


@fan_bp.get("/<artist_slug>/m/<token>")
def message_link(artist_slug, token):
    artist = public_artist(artist_slug)
    found = tracking.read(token)
    row = db.session.get(MessageRecipient, found[0]) if found else None
    if row is None or row.artist_id != artist.id or row.release is None:
        abort(404)
    page = fan_page_url(row.release)
    target = f"{page}/go/{row.platform}" if found[1] == tracking.STREAM and row.platform \
        else page
    if not is_bot(request.user_agent.string):
        now = now_utc()
        db.session.execute(update(MessageRecipient).where(MessageRecipient.id == row.id).values(
            clicks=MessageRecipient.clicks + 1,
            first_clicked_at=db.func.coalesce(MessageRecipient.first_clicked_at, now))
            .execution_options(synchronize_session=False))
        db.session.commit()
    return redirect(target, 302)
