"""Automations: per artist, the messages each release sets off (app.messaging.automations),
each on or off, with its delay and its words; the words are checked (merge fields, Jinja's
sandbox) and previewed with a sample fan before anything is stored."""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.domains.urls import fan_url
from app.extensions import db
from app import languages
from app.messaging import automations
from app.messaging.compose import stop_line
from app.messaging.templates import FIELDS, TemplateProblem, check, render, sms_size
from app.models import Artist
from app.models.message import AUTOMATIONS
from app.validation import MAX_ID
from app.views.fields import rule

SAMPLE_FAN = "Ada"


class AutomationForm(DynamicForm):
    enabled = BooleanField("On")
    delay = IntegerField("Wait", validators=[Optional(), NumberRange(
        min=0, max=60 * 24 * 90, message="Give a whole number from 0")])
    subject = StringField("Email subject", validators=[
        DataRequired("Give the email a subject"), Length(max=200), rule(check)])
    body = TextAreaField("Email text", validators=[
        DataRequired("Write the email"), Length(max=5000), rule(check)])
    sms_body = TextAreaField("Text message (SMS)", validators=[
        Optional(), Length(max=640), rule(check)])


class AutomationLanguageForm(DynamicForm):
    """The words in another language: on/off and the delay are the automation's own."""

    subject = AutomationForm.subject
    body = AutomationForm.body
    sms_body = AutomationForm.sms_body


class AutomationsView(BaseView):
    route_base = "/automations"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        artists = db.session.scalars(select(Artist).order_by(Artist.name)).all()
        table = [(artist, [automations.settings(artist.id, kind)
                           for kind in AUTOMATIONS]) for artist in artists]
        return self.render_template("automations/list.html", table=table,
                                    names=automations.NAMES, delay_words=delay_words,
                                    descriptions=automations.DESCRIPTIONS)

    @expose("/<int:artist_id>/<kind>", methods=["GET", "POST"])
    @has_access
    def edit(self, artist_id, kind):
        artist = db.session.get(Artist, artist_id) if 0 < artist_id <= MAX_ID else None
        if artist is None or kind not in AUTOMATIONS:
            abort(404)
        language = languages.find(request.args.get("language")) or languages.english()
        if language != languages.english():
            return self._edit_in(artist, kind, language)
        current = automations.settings(artist.id, kind)
        unit, minutes = automations.DELAY_UNITS.get(kind, (None, 1))
        form = AutomationForm(data=None if _posted() else {
            "enabled": current.enabled, "delay": current.delay_minutes // minutes,
            "subject": current.subject, "body": current.body, "sms_body": current.sms_body})
        if _posted() and form.validate():
            delay = (form.delay.data or 0) * minutes if unit else current.delay_minutes
            automations.save(artist, kind, form.enabled.data, delay, form.subject.data,
                             form.body.data, form.sms_body.data)
            db.session.commit()
            flash(f"“{automations.NAMES[kind]}” for {artist.name} is saved", "success")
            return redirect(url_for(".index"))
        return self._page(artist, kind, form, language, unit)

    def _edit_in(self, artist, kind, language):
        """The automation's words for fans reading ``language``: the artist's own, else the
        defaults translated, which stay the catalogue's until changed."""
        shown = automations.words_in(artist.id, kind, language)
        form = AutomationLanguageForm(data=None if _posted() else vars(shown))
        if _posted() and form.validate():
            automations.save_in(artist, kind, language, automations.Words(
                *(_lines(field.data) for field in (form.subject, form.body, form.sms_body))))
            db.session.commit()
            flash(f"“{automations.NAMES[kind]}” in {language.name} for {artist.name} is saved",
                  "success")
            return redirect(url_for(".edit", artist_id=artist.id, kind=kind,
                                    language=language.code))
        return self._page(artist, kind, form, language, None)

    def _page(self, artist, kind, form, language, unit):
        with languages.speaking(language):
            preview = _preview(artist, form)
        page = self.render_template(
            "automations/edit.html", artist=artist, kind=kind, form=form, unit=unit,
            name=automations.NAMES[kind], description=automations.DESCRIPTIONS[kind],
            fields=FIELDS, preview=preview, language=language, languages=languages.offered(),
            words_in=_words_in(language),
            sms_attrs={**_words_in(language), "aria-describedby": "sms-help"},
            own=language == languages.english()
            or automations.written_in(artist.id, kind, language) is not None)
        return page, (422 if _posted() else 200)


def _lines(text):
    """A browser's text as stored: its line breaks \n (a textarea sends \r\n), None when
    empty."""
    return (text or "").replace("\r\n", "\n") or None


def _words_in(language):
    """The language and direction of the fields that hold words in ``language``."""
    return {} if language == languages.english() else {"lang": language.tag,
                                                        "dir": language.direction}


def _posted():
    return request.method == "POST"


def delay_words(kind, delay_minutes):
    unit, minutes = automations.DELAY_UNITS.get(kind, (None, 1))
    if unit is None:
        return "at once"
    amount = delay_minutes // minutes
    return "at once" if amount == 0 else f"after {amount} {unit if amount != 1 else unit[:-1]}"


def _preview(artist, form):
    """The words as a fan named Ada would read them, and the text message's size; None where
    a template does not read (its error is on the form)."""
    release = next(iter(sorted(artist.releases, key=lambda r: r.release_at, reverse=True)),
                   None)
    sample = {
        "fan_first_name": SAMPLE_FAN, "artist_name": artist.name,
        "release_title": release.title if release else "Your next release",
        "release_date_local": (languages.moment(release.release_local, release.timezone)
                               if release else "Friday 1 January, 00:00"),
        "fan_page_url": fan_url(artist, f"/{release.slug}" if release else ""),
        "stream_url": fan_url(artist, f"/{release.slug}/go/spotify") if release else "",
        "platform_name": "Spotify", "unsubscribe_url": fan_url(artist, "/unsubscribe/…"),
        "in_library": True}
    try:
        subject, body = render(form.subject.data or "", sample), render(form.body.data or "",
                                                                           sample)
        sms = render(form.sms_body.data or "", sample) if form.sms_body.data else None
    except TemplateProblem:
        return None
    return {"subject": subject, "body": body, "sms": sms,
            "sms_size": str(sms_size(f"{sms} {stop_line()}")) if sms else None,
            "stop": stop_line()}
