"""Account → Ad pixels (Label Admin): the label's Meta Pixel, TikTok Pixel and Google tag ids
and its conversion API tokens (write-only, sealed), an artist's own where it has them, and the
ledger of conversions sent. Fan pages load a pixel only for a visitor who accepts ad cookies
(app.views.public.ads); a change reaches every fan page at once (the page version moves).
"""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from sqlalchemy import select
from wtforms import BooleanField, PasswordField, StringField

from app.analytics import ad_pixels
from app.crypto import keyring
from app.extensions import db
from app.models import AdPixels, Artist, ConversionEvent
from app.views.fields import require_csrf
from app.views.label_pages import label_choices, page_label, whole
from app.views.public.speed import page_version

WRITE_ONLY = "Write-only: leave blank to keep the stored one."
TOKENS = {"meta": "Conversions API access token (Meta)",
          "tiktok": "Events API access token (TikTok)"}


class PixelForm(DynamicForm):
    meta_pixel_id = StringField("Meta Pixel id", description=ad_pixels.BY_KEY["meta"].example)
    tiktok_pixel_code = StringField("TikTok Pixel code",
                                    description=ad_pixels.BY_KEY["tiktok"].example)
    google_tag_id = StringField("Google tag id", description=ad_pixels.BY_KEY["google"].example)
    meta_token = PasswordField(TOKENS["meta"], description=WRITE_ONLY)
    tiktok_token = PasswordField(TOKENS["tiktok"], description=WRITE_ONLY)
    forget_tokens = BooleanField("Remove the stored tokens")


class AdPixelsView(BaseView):
    route_base = "/ad-pixels"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        label, artist = self._owner()
        row = self._row(label, artist)
        form = PixelForm(formdata=None, obj=row)
        return self._page(label, artist, row, form)

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        require_csrf()
        label, artist = self._owner()
        row = self._row(label, artist)
        form = PixelForm()
        errors = False
        values = {}
        for service in ad_pixels.SERVICES:
            field = form[service.column]
            try:
                values[service.column] = ad_pixels.shape(service.key, field.data)
            except ValueError as exc:
                field.errors = [str(exc)]
                errors = True
        if errors:
            return self._page(label, artist, row, form, 422)
        if row is None:
            row = AdPixels(label_id=label.id, artist_id=artist.id if artist else None)
            db.session.add(row)
            db.session.flush()  # the tokens' seal is bound to the row's id
        for column, value in values.items():
            setattr(row, column, value)
        ring = keyring()
        for service in TOKENS:
            given = (form[f"{service}_token"].data or "").strip()
            if form.forget_tokens.data or given:
                row.set_token(ring, service, given or None)
        db.session.commit()
        page_version.bump()  # every fan page's setup is read again
        flash("Saved: fan pages ask visitors before loading these" if any(values.values())
              else "Saved: no pixel is set, so fan pages ask nothing", "success")
        return redirect(url_for(".index", label=label.id, artist=artist.id if artist else None))

    def _owner(self):
        """(label, artist or None) the page is about: the user's label (the platform admin
        chooses one), and the artist asked for, of that label."""
        label = page_label()
        artist_id = whole(request.values.get("artist"))
        artist = None
        if artist_id:
            artist = db.session.scalar(select(Artist).where(Artist.id == artist_id,
                                                            Artist.label_id == label.id))
            if artist is None:
                abort(404)
        return label, artist

    @staticmethod
    def _row(label, artist):
        return db.session.scalar(select(AdPixels).where(
            AdPixels.label_id == label.id,
            AdPixels.artist_id == artist.id if artist else AdPixels.artist_id.is_(None)))

    def _page(self, label, artist, row, form, status=200):
        artists = db.session.scalars(select(Artist).where(Artist.label_id == label.id)
                                     .order_by(Artist.name)).all()
        labels = label_choices()
        sent = db.session.scalars(select(ConversionEvent).where(
            ConversionEvent.label_id == label.id).order_by(ConversionEvent.id.desc())
            .limit(50)).all()
        ring = keyring()
        stored = {service: bool(row and row.token(ring, service)) for service in TOKENS}
        inherited = ad_pixels.effective(label.id, artist.id) if artist else {}
        return self.render_template(
            "ad_pixels/index.html", label=label, artist=artist, artists=artists,
            labels=labels, form=form, stored=stored, inherited=inherited, sent=sent,
            services=ad_pixels.SERVICES), status, {"Cache-Control": "private, no-store"}

