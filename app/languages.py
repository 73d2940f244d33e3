"""The languages fans are spoken to in: which are offered, and the words of each.

Fan pages, their messages and the fan's own page take their words from one gettext
domain, ``fan``, catalogued under app/translations/<code>/LC_MESSAGES/fan.po (`make
translations` extracts and updates them; set-up compiles them). The admin stays in
English and keeps Flask-AppBuilder's own domain. The catalogues are the list of
languages: one is offered once it is compiled, so a checkout never shows a language it
cannot speak.
"""
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, get_timezone_name
from babel.lists import format_list
from flask import g, has_app_context, has_request_context, request
from flask_babel import Domain, get_translations, refresh

TRANSLATIONS = Path(__file__).parent / "translations"
DOMAIN = "fan"
ENGLISH = "en"


@dataclass(frozen=True)
class Language:
    code: str  # Babel's, as the catalogue's folder: "pt_BR"
    name: str  # in the language itself, as a menu shows it: "Português (Brasil)"
    rtl: bool = False

    @property
    def tag(self):
        """BCP 47, for lang="", Content-Language and the choice's cookie: "pt-BR"."""
        return self.code.replace("_", "-")

    @property
    def direction(self):
        return "rtl" if self.rtl else "ltr"


def _language(code):
    spoken = Locale.parse(code)
    name = spoken.get_display_name(code)
    return Language(code, name[:1].upper() + name[1:],
                    rtl=spoken.character_order == "right-to-left")


def N_(message):
    """Marks words for extraction where they are kept in English (a column's default) and
    translated where shown: gettext(DEFAULT_...)."""
    return message


words = Domain(translation_directories=[str(TRANSLATIONS)], domain=DOMAIN)
gettext = words.gettext
ngettext = words.ngettext


@lru_cache(maxsize=1)
def offered():
    """English, then every language whose catalogue is compiled, by code. The catalogues are the
    one list: a language joins with `make translations NEW=<code>` and its words."""
    compiled = sorted(path.parent.parent.name
                      for path in TRANSLATIONS.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))
    return tuple(_language(code) for code in [ENGLISH, *(c for c in compiled if c != ENGLISH)])


def find(tag):
    """The offered Language for a tag or code ("pt-BR", "pt_br", "ja"), or None."""
    if not isinstance(tag, str) or not tag:
        return None
    wanted = tag.replace("_", "-").lower()
    return next((language for language in offered() if language.tag.lower() == wanted), None)


def find_primary(tag):
    """The first offered Language of the same primary language as ``tag`` ("pt-PT" ->
    pt_BR), or None."""
    if not isinstance(tag, str) or not tag:
        return None
    primary = tag.replace("_", "-").split("-")[0].lower()
    return next((language for language in offered()
                 if language.tag.split("-")[0].lower() == primary), None)


def name_of(code):
    """A language's name in itself, by its code; the code when it is not offered."""
    found = find(code)
    return found.name if found is not None else code


def english():
    return offered()[0]


def choices():
    """(code, name) of every offered language, for a select."""
    return [(language.code, language.name) for language in offered()]


def speak(language):
    """From now on in this request (or job), the fan's words and Babel's formats are in
    ``language``."""
    g.fan_language = language
    refresh()


def current():
    """The Language this request speaks: the one set by speak(), else English."""
    return (g.get("fan_language") if has_app_context() else None) or english()


@contextmanager
def speaking(language):
    """Within the block, the fan's words and formats are ``language``'s (a message to one fan
    from a job or from another person's request); as before afterwards."""
    before = g.get("fan_language")
    speak(language)
    try:
        yield
    finally:
        g.fan_language = before
        refresh()


def gettext_in(language, message):
    """``message`` (marked with N_) as fans reading ``language`` read it."""
    with speaking(language):
        return gettext(message)


def install(app, fan_prefix):
    """Join Flask-AppBuilder's Babel set-up: where a fan is spoken to, their language and the
    fan domain's words; elsewhere the admin's own (English) choice and FAB's words.
    ``fan_prefix``: the fan pages' path, where FAB's choice (kept in a session) never runs."""
    babel = app.extensions["babel"]
    babel.locale_selector = _selector(babel.locale_selector, fan_prefix)
    app.jinja_env.policies["ext.i18n.trimmed"] = True  # {% trans %} as extracted (babel.cfg)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True)


def _selector(fallback, fan_prefix):
    def select():
        language = g.get("fan_language")
        if language is not None:
            return language.code
        if has_request_context() and request.path.startswith(fan_prefix):
            return ENGLISH  # refused before the visitor's language was chosen: no session
        return fallback()
    return select


def _translations():
    return words.get_translations() if g.get("fan_language") else get_translations()


# Dates and times in the fan's language. English is written the British way, as everywhere here.
def _format_locale():
    code = current().code
    return "en_GB" if code == ENGLISH else code


def day(value):
    """"11 Dec 2026", "2026/12/11": a date (or the date of a datetime), short."""
    return format_date(value, "medium", locale=_format_locale())


def long_day(value):
    """"11 December 2026", "2026年12月11日"."""
    return format_date(value, "long", locale=_format_locale())


def zone_name(tz_name):
    """"Central European Time", "中央ヨーロッパ時間": an IANA zone as the fan's language names it."""
    if tz_name == "UTC" or tz_name.startswith("Etc/"):
        return tz_name  # no place: Babel would call it "Unknown Region"
    try:
        return get_timezone_name(ZoneInfo(tz_name), "long", locale=_format_locale())
    except (LookupError, ValueError):
        return tz_name.replace("_", " ")


def moment(local, tz_name):
    """"Friday, 11 December 2026, 00:00 (Central European Time)": a wall-clock time in its
    zone."""
    fmt = _format_locale()
    return gettext("%(date)s, %(time)s (%(zone)s)", date=format_date(local, "full", locale=fmt),
                   time=format_time(local, "short", locale=fmt), zone=zone_name(tz_name))


def one_of(names):
    """"Spotify or Deezer", "Spotify ou Deezer": names joined as the language says "or"."""
    return format_list(list(names), style="or", locale=_format_locale())


def all_of(names):
    """"Meta and TikTok", "Meta et TikTok": names joined as the language says "and"."""
    return format_list(list(names), style="standard", locale=_format_locale())
