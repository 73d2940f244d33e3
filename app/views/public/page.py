"""What a fan page shows, worked out from the release, its platform setup and the visitor."""
import re
from dataclasses import dataclass, field
from urllib.parse import quote

from flask import current_app, url_for

from app import languages
from app.languages import gettext as _
from app.localtime import now_utc
from app.models.fan import EMAIL_MARKETING, SMS_MARKETING, follow_purpose
from app.presaves import future_save
from app.presaves.wrapper import consent_wording
from app.platform_table import APPLE_MUSIC, PLATFORM_KEYS, descriptor
from app.releases.rules import artwork_url, fan_page_url, image_url
from app.views.public.visitor import place as visitor
from app.colors import AA_TEXT, best_ink, contrast, legible, readable_on
from app.views.public.brands import Brand, brand
from app.views.public.known_fan import done_lines, greeting, still_to_ask, theirs_first
from app.platforms.registry import DIRECT, LINK, REMIND, fan_mode
from app.views.public.stream import stream_platforms
from app.releases.state import DUE, SOON, STREAM, state_for

FIELD_MODES = ("optional", "required")
COUNTDOWN_UNITS = ("days", "hours", "min", "sec")  # fan.js's keys: the boxes it keeps ticking
HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
FIELDS = {  # name -> (input type, autocomplete, inputmode)
    "name": ("text", "name", None),
    "email": ("email", "email", "email"),
    "phone": ("tel", "tel", "tel"),
}


def field_label(name):
    return {"name": _("Your name"), "email": _("Email"), "phone": _("Mobile number")}[name]


def unit_names():
    """The countdown boxes' labels, under numbers that change every second."""
    # Translators: short labels under the countdown's numbers; the numbers tick, so no plural.
    return {"days": _("days"), "hours": _("hours"), "min": _("min"), "sec": _("sec")}


@dataclass
class Button:
    brand: Brand
    mode: str  # direct | remind | link
    kind: str  # submit | musickit | link | later
    title: str  # what a screen reader says: "Pre-Save on Spotify"
    hint: str
    href: str | None = None
    action: str = ""  # the word on the row's pill: "Pre-Save", "Remind me", "Play"


@dataclass
class Field:
    name: str
    label: str
    type: str
    autocomplete: str
    inputmode: str | None
    required: bool


@dataclass
class Countdown:
    target: str  # ISO 8601 UTC, for the script
    heading: str
    when: str  # the local date and time, for people and for pages without script
    parts: list = field(default_factory=list)  # [("05", unit)] at render time
    unit_names: dict = field(default_factory=unit_names)  # unit -> its label in the language
    reloads: bool = False  # at zero the page reloads itself: it follows the clock exactly
    now: str = field(default_factory=lambda: now_utc().isoformat())  # the server's, for skew


def buttons(release, setup, in_app, state):
    if state in (SOON, DUE):
        return [Button(brand(k), setup.mode(k), "later", brand(k).name, "")
                for k in release.platforms]
    if state == STREAM:
        return [_stream_button(release, key, found) for key, found in
                stream_platforms(release, release.artist, visitor.country())]
    return [_presave_button(key, setup, in_app) for key in release.platforms]


def _stream_button(release, key, found):
    href = url_for("fan.go", artist_slug=release.artist.slug, release_slug=release.slug,
                   platform=key)
    b = brand(key)
    if found:
        return Button(b, LINK, "link", _("Listen on %(platform)s", platform=b.name), "", href,
                      _("Play"))
    hint = "" if release.status == "archived" else _("Not listed there yet")
    return Button(b, LINK, "search", _("Search on %(platform)s", platform=b.name), hint, href,
                  _("Search"))


def _presave_button(key, setup, in_app):
    b, mode = brand(key), fan_mode(setup.mode(key), in_app)
    if mode == LINK:
        return Button(b, mode, "later", b.name, _("Listen here from release day"))
    if mode == REMIND:
        hint = _("Sign-ins are full: get a reminder") if key in setup.full else ""
        return Button(b, REMIND, "submit", _("Remind me on %(platform)s", platform=b.name), hint,
                      action=_("Remind me"))
    kind = "musickit" if key == APPLE_MUSIC and setup.apple else "submit"
    verb = presave_verb(key)
    return Button(b, DIRECT, kind, _("%(action)s on %(platform)s", action=verb, platform=b.name),
                  "", action=verb)


def presave_verb(key):
    """The word on the platform's button, in the fan's language."""
    # Translators: a pre-save button's word; "Pre-Add" is Apple Music's own word for a pre-save.
    return {"Pre-Save": _("Pre-Save"), "Pre-Add": _("Pre-Add")}[descriptor(key).presave_verb]


def form_fields(artist, button_list):
    """The data-wrapper fields the artist asked for, plus a contact when reminders need one."""
    shown = {}
    if artist.wrapper_enabled:
        shown = {name: getattr(artist, f"collect_{name}") for name in FIELDS}
        shown = {name: mode for name, mode in shown.items() if mode in FIELD_MODES}
    submits = [b for b in button_list if b.kind in ("submit", "musickit")]
    reminders = [b for b in submits if b.mode == REMIND]
    only_reminders = bool(reminders) and len(reminders) == len(submits)
    if reminders and not {"email", "phone"} & shown.keys():
        shown["email"] = "required" if only_reminders else "optional"
    elif only_reminders and "phone" not in shown:
        shown["email"] = "required"  # with a phone field too, either will do: the server checks
    return [Field(name, field_label(name), *FIELDS[name], required=shown[name] == "required")
            for name in FIELDS if name in shown]


def follow_links(artist, besides=()):
    """(brand, url) of the artist's own page on each platform whose id staff gave (but those
    ``besides``, which offer a one-tap follow)."""
    ids = artist.platform_ids or {}
    return [(brand(key), facts.artist_url.format(id=quote(str(ids[key]), safe="")))
            for key in PLATFORM_KEYS if ids.get(key) and key not in besides
            and (facts := descriptor(key)) is not None and facts.artist_url]


def follow_offer(artist, known):
    """Where this fan may follow the artist in one tap: the artist offers it and gave its id
    there, the fan's grant can, and they have not had us do it yet."""
    if known is None or not artist.offer_follow:
        return []
    ids = artist.platform_ids or {}
    return [key for key in known.followable
            if ids.get(key) and follow_purpose(key) not in known.consented]


def follow_wording(artist, key):
    return _("Follow %(artist)s on %(platform)s from my account.", artist=artist.name,
             platform=brand(key).name)


def notify_fields(artist):
    """Where to send a Coming Soon page's one message: an email, or a phone where the artist
    collects phones (either will do: the server checks)."""
    with_phone = artist.wrapper_enabled and artist.collect_phone in FIELD_MODES
    fields = [Field("email", field_label("email"), *FIELDS["email"], required=not with_phone)]
    if with_phone:
        fields.append(Field("phone", field_label("phone"), *FIELDS["phone"], required=False))
    return fields


def consents(artist, fields):
    """(field name, wording) per marketing purpose whose contact field the form shows."""
    if not artist.wrapper_enabled:
        return []
    names = {f.name for f in fields}
    wanted = [("consent_email_marketing", "email", consent_wording(artist, EMAIL_MARKETING)),
              ("consent_sms_marketing", "phone", consent_wording(artist, SMS_MARKETING))]
    return [(name, text) for name, needs, text in wanted if needs in names and text]


def countdown(release, state, zone):
    if state == STREAM:
        return None
    if state == SOON:
        return Countdown(release.presave_opens_at.isoformat(), _("Pre-save opens in"),
                         languages.moment(release.presave_opens_local, release.timezone),
                         countdown_parts(release.presave_opens_at))
    out = state_for(release, zone=zone).out_at
    when = (languages.moment(release.release_local, release.timezone)
            if release.release_mode != "local" else _your_midnight(release, zone))
    return Countdown(out.isoformat(), _("Out in"), when, countdown_parts(out), reloads=True)


def _your_midnight(release, zone):
    day = languages.long_day(release.release_local)
    if zone:
        return _("midnight in your time zone (%(zone)s), %(date)s",
                 zone=languages.zone_name(zone), date=day)
    return _("midnight in your time zone, %(date)s", date=day)


def countdown_parts(target):
    """[("03", "days"), ...]: what is left until ``target``, as the boxes show it."""
    seconds = max(0, int((target - now_utc()).total_seconds()))
    days, rest = divmod(seconds, 86400)
    numbers = [days, rest // 3600, rest % 3600 // 60, rest % 60]
    return [(f"{number:02d}", unit) for number, unit in zip(numbers, COUNTDOWN_UNITS)]


def share_meta(artist, release, state):
    """OpenGraph and Twitter card values: absolute URLs, so a shared link previews the artwork."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    names = {"title": release.title, "artist": artist.name}
    lines = {"soon": _("Coming soon: “%(title)s” by %(artist)s.", **names),
             "presave": _("Pre-save “%(title)s” by %(artist)s now.", **names),
             "due": _("“%(title)s” by %(artist)s is out at midnight where you are.", **names),
             "stream": _("“%(title)s” by %(artist)s is out now. Listen on your platform.",
                         **names)}
    return {"title": f"{release.title} — {artist.name}", "url": fan_page_url(release),
            "image": base + artwork_url(release) if release.artwork else None,
            "description": " ".join(filter(None, [lines[state], release.description]))[:300]}


@dataclass
class Theme:
    background: str
    text: str
    primary: str
    accent: str  # the action colour (the pre-save pills), shaded to carry on_accent at AA
    on_accent: str
    highlight: str  # the artist colour that reads on the background (countdown, pills' outline)
    on_highlight: str  # text on a highlight-filled pill
    brands: list


DEFAULT_COLORS = {"background_color": "#ffffff", "text_color": "#111111",
                  "primary_color": "#1d1d1f", "accent_color": "#1db954"}


def theme(artist, keys=()):
    """The artist's colours, each checked to be #rrggbb (they go into a style block) and paired
    so every text reaches WCAG AA whatever the artist picked: a failing pair falls back."""
    picked = artist_colors(artist)
    background, text, primary = picked["background_color"], picked["text_color"], \
        picked["primary_color"]
    if contrast(text, background) < AA_TEXT:
        text = best_ink(background)
    accent, on_accent = legible(picked["accent_color"])
    highlight = next((c for c in (picked["accent_color"], primary)
                      if contrast(c, background) >= AA_TEXT), text)
    return Theme(background=background, text=text, primary=primary, accent=accent,
                 on_accent=on_accent, highlight=highlight, on_highlight=best_ink(highlight),
                 brands=[brand(key) for key in keys])


def artist_colors(artist):
    """The artist's four colours, a default for any that is not #rrggbb."""
    return {name: _color(getattr(artist, name, None), default)
            for name, default in DEFAULT_COLORS.items()}


def _color(value, default):
    return value if isinstance(value, str) and HEX_COLOR.fullmatch(value) else default


INK_NAMES = {"#000000": "black", "#ffffff": "white"}


@dataclass(frozen=True)
class Pair:
    """A text/background pair of the fan page: as the artist's colours make it, and what the
    page shows instead when it is below AA."""

    name: str
    ink: str
    paper: str
    instead: str  # what theme() does about it, in words

    @property
    def ratio(self):
        return contrast(self.ink, self.paper)

    @property
    def passes(self):
        return self.ratio >= AA_TEXT

    @property
    def words(self):
        said = f"{self.name} {ratio_text(self.ratio)}"
        if self.passes:
            return f"{said} ✓"
        return (f"{said} — below {AA_TEXT}:1: fans may not read it; the page will "
                f"{self.instead}")


def ratio_text(ratio):
    """"4.4:1": cut, not rounded, so a pair below 4.5:1 never reads as 4.5:1."""
    return f"{int(ratio * 10) / 10:.1f}:1"


def contrast_pairs(artist):
    """Each text/background pair of the artist's fan page, measured as theme() measures it."""
    picked, shown = artist_colors(artist), theme(artist)
    background, accent = picked["background_color"], picked["accent_color"]
    on_accent = readable_on(accent)

    def shown_as(ink, paper):
        return f"{ink} ({ratio_text(contrast(ink, paper))})"
    fallback = "the primary colour" if shown.highlight == shown.primary else "the text colour"
    return [
        Pair("Text on background", picked["text_color"], background,
             f"show text in {INK_NAMES.get(shown.text, '')} "
             f"{shown_as(shown.text, shown.background)}"),
        Pair(f"Accent button text ({INK_NAMES[on_accent]})", on_accent, accent,
             f"shade the buttons to {shown_as(shown.accent, shown.on_accent)}"),
        Pair("Accent on background (countdown, outlines)", accent, background,
             f"use {fallback} there, {shown_as(shown.highlight, shown.background)}"),
    ]


def general_errors(errors, fields, consent_list):
    """Messages not tied to a field shown on the form: the general one first."""
    inline = {f.name for f in fields} | {name for name, _ in consent_list}
    rest = [message for key, message in errors.items() if key not in inline and key != "_form"]
    return ([errors["_form"]] if errors.get("_form") else []) + rest


def default_headline():
    return _("Be the first to hear it: pre-save now and it's yours the moment it's out.")


def context(artist, release, setup, in_app, state=None, known=None, variant=None):
    """Everything release.html needs, but the flashed messages and the form action.

    The state is worked out once (or given), so one render never mixes both sides of the instant.
    ``known``: the fan this browser is (a KnownFan), for a page of their own; ``variant``: the
    A/B test's variant this visitor sees (its artwork and words, where it has its own).
    """
    zone = visitor.zone()
    state = state or state_for(release, zone=zone).page
    button_list = [_signs_in_after_details(artist, b, known)
                   for b in buttons(release, setup, in_app, state)]
    if known is not None:
        button_list = theirs_first(button_list, known, state)
    done = done_lines(known, release) if known is not None and state not in (SOON, STREAM) else []
    following = follow_offer(artist, known) if done else []
    return dict(
        artist=artist, release=release, state=state, setup=setup, in_app=in_app,
        buttons=button_list, known=known, done=done,
        headline=_own(variant, "headline") or release.headline or default_headline(),
        own_headline=_own(variant, "headline") or release.headline,
        description=_own(variant, "description") or release.description,
        variant=variant.key if variant is not None else None,
        others=[b for b in button_list if b.brand.key not in known.presaves] if done else [],
        follow=follow_links(artist, following) if done else [],
        follow_offer=[brand(key) for key in following],
        future_offer=[(key, future_save.wording(artist, key)) for key in
                      future_save.offerable(known.presaves, known.consented)] if done else [],
        greeting=greeting(known) if known is not None and not done else None,
        in_library=[brand(k).name for k in known.delivered] if known and state == STREAM else [],
        countdown=countdown(release, state, zone), meta=share_meta(artist, release, state),
        artwork=image_url(_own(variant, "artwork")) or artwork_url(release),
        avatar=avatar_url(artist), theme=theme(artist, [b.brand.key for b in button_list]))


def _own(variant, field):
    return getattr(variant, field) if variant is not None else None


def avatar_url(artist):
    return url_for("media.file", name=artist.image) if artist.image else None


def _signs_in_after_details(artist, button, known=None):
    """Apple's MusicKit sign-in runs on the button the fan presses last: on the details step
    when the artist asks for details, on the page itself when not."""
    if button.kind == "musickit" and still_to_ask(form_fields(artist, [button]), known):
        button.kind = "submit"
    return button


def details_context(artist, release, setup, in_app, platform, values, errors, known=None):
    """What fan/details.html needs: the one chosen platform and the fields it asks for (a
    returning fan: those not given yet, and the boxes not ticked yet)."""
    chosen = _presave_button(platform, setup, in_app)
    all_fields = form_fields(artist, [chosen])
    fields = still_to_ask(all_fields, known)
    consent_list = [(name, text) for name, text in consents(artist, all_fields)
                    if known is None or name.removeprefix("consent_") not in known.consented]
    lead = (full_note(chosen.brand.name, setup.full[platform]) if platform in setup.full else
            _("Leave your details and we'll send you the link on release day.")
            if chosen.mode == REMIND else
            _("%(artist)s would like to know who you are. Then %(platform)s asks you to sign in.",
              artist=artist.name, platform=chosen.brand.name))
    return dict(
        artist=artist, release=release, setup=setup, in_app=in_app, chosen=chosen, lead=lead,
        fields=fields, consents=consent_list, artwork=artwork_url(release),
        theme=theme(artist, [platform]), values=values, errors=errors,
        general_errors=general_errors(errors, fields, consent_list),
        reminder_note=chosen.mode == REMIND)


def full_note(name, limit):
    """Why a platform whose app reached its user limit offers a reminder instead."""
    return _("%(platform)s lets this artist's app connect only %(limit)s listeners for now, and "
             "they have all signed up. Leave your details and we'll send you the link on release "
             "day instead.", platform=name, limit=limit)


def asks_details(artist, setup, in_app, platform, known=None):
    """Whether tapping ``platform`` opens the details step before the sign-in: not for a fan
    who gave every field it asks for before."""
    return bool(still_to_ask(form_fields(artist, [_presave_button(platform, setup, in_app)]),
                             known))


def visitor_state(release):
    """The page state of ``release`` for the visitor of this request."""
    return state_for(release, zone=visitor.zone()).page
