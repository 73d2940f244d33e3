"""Account pages about one label's settings (ad pixels, email tools): which label the page is
about. Label users get their own; the platform admin chooses one (?label=), the first by
name otherwise."""
from flask import abort, request
from sqlalchemy import select

from app.extensions import db
from app.models import Label
from app.tenants.context import current_scope
from app.validation import MAX_ID


def whole(text):
    """A positive id typed in a query or form, or None."""
    text = (text or "").strip()
    return int(text) if text.isdecimal() and 0 < int(text) <= MAX_ID else None


def page_label():
    label_id = current_scope().label_id or whole(request.values.get("label"))
    label = db.session.scalar(select(Label).where(Label.id == label_id)) if label_id \
        else db.session.scalars(select(Label).order_by(Label.name)).first()
    if label is None:
        abort(404)
    return label


def label_choices():
    """Every label, for the platform admin's chooser; none for label users."""
    if current_scope().label_id is not None:
        return []
    return db.session.scalars(select(Label).order_by(Label.name)).all()
