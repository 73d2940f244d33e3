"""A blast: staff write a message (email and/or SMS), choose its fans (app.messaging.segments),
see how many it reaches and how it reads for a real one of them, send a test to themselves,
then send it now or at a time in a zone."""
from datetime import timedelta

from flask import current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from sqlalchemy import select
from wtforms import (BooleanField, DateField, DateTimeLocalField, RadioField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.extensions import db
from app.jobs import messages as message_jobs
from app.localtime import all_zones, now_utc, to_utc
from app.messaging import MessagingError, NotConfigured, blasts, segments
from app.messaging.compose import compose
from app.messaging.outbox import Outbox
from app.messaging.reminder import fan_me_url
from app.messaging.templates import TemplateProblem, check, sms_size
from app.models import Artist, Message, Release
from app.models.message import EMAIL, SMS
from app.platform_table import PLATFORM_NAMES
from app.releases.rules import fan_page_url
from app.views.fields import rule

ANY = ""
LATEST = timedelta(days=365)  # a blast is scheduled at most a year ahead


class BlastForm(DynamicForm):
    name = StringField("Name (only staff see it)", validators=[
        DataRequired("Name the blast, so you find it on the Messages page"), Length(max=200)])
    artist = SelectField("From", validate_choice=False)
    by_email = BooleanField("Email", default=True)
    by_sms = BooleanField("Text message (SMS)")
    subject = StringField("Email subject", validators=[
        DataRequired("Give the email a subject"), Length(max=200), rule(check)])
    body = TextAreaField("Email text", validators=[
        DataRequired("Write the message"), Length(max=5000), rule(check)])
    sms_body = TextAreaField("Text message", validators=[Optional(), Length(max=640),
                                                         rule(check)])
    country = StringField("Country", validators=[Optional(), Regexp(
        r"^[A-Za-z]{2}$", message="A two-letter country code, such as GB or BR")])
    city = StringField("City", validators=[Optional(), Length(max=120)])
    platform = SelectField("Pre-saved on", validate_choice=False)
    release = SelectField("Release", validate_choice=False)
    presaved = SelectField("", choices=[("yes", "pre-saved it"), ("no", "did not pre-save it")])
    joined_from = DateField("Signed up from", validators=[Optional()])
    joined_to = DateField("to", validators=[Optional()])
    when = RadioField("Send", choices=[("now", "Now"), ("later", "At a time")], default="now")
    send_at = DateTimeLocalField("At", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    timezone = SelectField("Time zone", choices=all_zones(), validate_choice=False)


class BlastView(BaseView):
    route_base = "/blasts"
    default_view = "new"

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        artists = db.session.scalars(select(Artist).order_by(Artist.name)).all()
        releases = db.session.scalars(select(Release).order_by(Release.release_at.desc())).all()
        form = BlastForm(data=None if request.method == "POST" else {
            "timezone": getattr(g.user.label, "timezone", None) or "UTC"})
        form.artist.choices = [(ANY, "Every artist of the label")] + [
            (str(a.id), a.name) for a in artists]
        form.platform.choices = [(ANY, "Any platform")] + sorted(PLATFORM_NAMES.items(),
                                                                 key=lambda kv: kv[1])
        form.release.choices = [(ANY, "Any release")] + [
            (str(r.id), f"{r.title} · {r.artist.name}") for r in releases]
        context = {"form": form, "counts": None, "preview": None, "problems": []}
        if request.method == "GET":
            return self._page(context)
        action = request.form.get("action", "preview")
        chosen = _read(form, artists, releases, context["problems"]) if form.validate() else None
        if chosen is None:
            return self._page(context, 422)
        segment, send_at = chosen
        if action == "send":
            message, queued = blasts.create(g.user.label_id, segment, form.name.data,
                                            form.subject.data, form.body.data,
                                            form.sms_body.data, send_at)
            db.session.commit()
            if send_at <= now_utc():
                message_jobs.put(message.label_id, message.id, due=queued)
            else:
                message_jobs.put_at(message.label_id, message.id, send_at)
            flash(f"“{message.name}” is on its way to {queued} recipient"
                  f"{'s' if queued != 1 else ''}" + ("" if send_at <= now_utc() + timedelta(
                      minutes=1) else f", from {send_at:%d %b %Y %H:%M} UTC"), "success")
            return redirect(url_for("MessagesView.show", pk=message.id))
        context["counts"] = segments.counts(segment)
        context["preview"] = _preview(form, segment)
        if action == "test":
            said = _send_test(form, segment, context["preview"])
            flash(*said)
        return self._page(context)

    def _page(self, context, status=200):
        return self.render_template("messages/blast.html", **context), status


def _read(form, artists, releases, problems):
    """(segment, send at) from a valid form, or None with ``problems`` said."""
    channels = tuple(c for c, on in ((EMAIL, form.by_email.data), (SMS, form.by_sms.data)) if on)
    if not channels:
        problems.append("Choose email, text messages or both.")
    if SMS in channels and not (form.sms_body.data or "").strip():
        problems.append("Write the text message, or untick SMS.")
    artist_id = _pick(form.artist.data, {a.id for a in artists}, "artist", problems)
    release_id = _pick(form.release.data, {r.id for r in releases}, "release", problems)
    if form.platform.data not in (ANY, *PLATFORM_NAMES):
        problems.append("Choose a platform from the list.")
    if form.joined_from.data and form.joined_to.data and form.joined_from.data > \
            form.joined_to.data:
        problems.append("The sign-up dates are the wrong way round.")
    send_at = _send_at(form, problems)
    if problems:
        return None
    return segments.Segment(
        channels=channels, artist_id=artist_id, country=(form.country.data or "").upper() or None,
        city=(form.city.data or "").strip() or None, platform=form.platform.data or None,
        release_id=release_id, presaved=form.presaved.data != "no",
        joined_from=form.joined_from.data, joined_to=form.joined_to.data), send_at


def _pick(value, allowed, what, problems):
    if value in (ANY, None):
        return None
    if not value.isdecimal() or int(value) not in allowed:
        problems.append(f"Choose the {what} from the list.")
        return None
    return int(value)


def _send_at(form, problems):
    if form.when.data != "later":
        return now_utc()
    if form.send_at.data is None:
        problems.append("Give the day and time to send it.")
        return None
    try:
        at = to_utc(form.send_at.data, form.timezone.data).utc
    except ValueError as exc:
        problems.append(str(exc))
        return None
    if not now_utc() < at <= now_utc() + LATEST:
        problems.append("The time must be ahead, within a year.")
        return None
    return at


def _words(form, artist):
    return Message(artist=artist, subject=form.subject.data, body=form.body.data,
                   sms_body=form.sms_body.data or None)


def _sample_context(segment):
    """(fan, artist, release, merge fields) of the segment's newest fan, or None."""
    fan = segments.sample(segment)
    if fan is None:
        return None
    release = db.session.get(Release, segment.release_id) if segment.release_id else None
    page = fan_page_url(release) if release is not None else None
    fields = message_jobs.merge_fields(fan.artist, release, fan, segment.platform, page,
                                       fan_me_url(fan.artist))
    return fan, fan.artist, release, fields


def _preview(form, segment):
    found = _sample_context(segment)
    if found is None:
        return None
    fan, artist, release, fields = found
    try:
        email = compose(_words(form, artist), EMAIL, "preview", fields)
        sms = compose(_words(form, artist), SMS, "preview", fields) if form.sms_body.data \
            else None
    except TemplateProblem:
        return None
    return {"fan": fan, "subject": email.subject, "text": email.text,
            "sms": sms.text if sms else None,
            "sms_size": str(sms_size(sms.text)) if sms else None}


def _send_test(form, segment, preview):
    """Send the email, as the newest fan would get it, to the signed-in user; (words, kind)."""
    found = _sample_context(segment)
    if found is None:
        return "No fan matches yet, so there is nobody's values to test with.", "warning"
    fan, artist, release, fields = found
    words = _words(form, artist)
    words.subject = f"[Test] {form.subject.data}"
    try:
        with Outbox(current_app.config) as outbox:
            outbox.send(compose(words, EMAIL, g.user.email, fields,
                                me_url=fan_me_url(artist)))
    except NotConfigured:
        return "The test was not sent: email is not set up on this site (SMTP_HOST).", "danger"
    except MessagingError as exc:
        return f"The test was not sent: {exc}", "danger"
    return f"A test went to {g.user.email}, with {fan}'s values.", "success"


