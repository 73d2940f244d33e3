"""A new fan's first-touch source: the referring site and UTM tags their visit started with."""
from flask import has_request_context

from app.extensions import db
from app.models.fan_source import FanSource


def remember(fan):
    """Record where a just-created fan came from (a fan page request; elsewhere nothing)."""
    if not has_request_context():
        return
    from app.analytics import capture  # capture imports the fan pages, which import presaves

    # Any kind but a page view: the source the visit started with (its cookie), else its own.
    referrer, utm = capture.source("presave_completed")
    db.session.add(FanSource(fan_id=fan.id, label_id=fan.label_id, artist_id=fan.artist_id,
                             referrer=referrer, **utm))
