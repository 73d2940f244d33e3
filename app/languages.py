"""The languages fan pages speak, and which one a request gets.

The fan's words live in gettext catalogues of their own domain ("fan", under
app/translations/, made by `make translations`), apart from the admin's (Flask-AppBuilder's,
in English). A language is offered once its compiled catalogue is there; English needs none.

A fan request's language: the fan's explicit choice (a cookie), else the best of the
browser's Accept-Language, else the artist's default language, else English. Admin pages keep
Flask-AppBuilder's own choice. Platform names are brand names and never pass through here.
"""
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import flask_babel
from flask import g, has_request_context, request
from flask_babel import Domain

DOMAIN = "fan"
FOLDER = Path(__file__).resolve().parent / "translations"
COOKIE = "presave_lang"
COOKIE_DAYS = 365
DEFAULT = "en"
FAN_BLUEPRINT = "fan"


@dataclass(frozen=True)
class Language:
    code: str  # the catalogue's name: en, pt_BR
    name: str  # in itself, as the menu shows it
    rtl: bool = False

    @property
    def tag(self):
        """The BCP 47 tag of html's lang and of Accept-Language: pt-BR."""
        return self.code.replace("_", "-")

    @property
    def direction(self):
        return "rtl" if self.rtl else "ltr"


LANGUAGES = {language.code: language for language in (
    Language("en", "English"), Language("es", "Español"), Language("pt_BR", "Português (Brasil)"),
    Language("fr", "Français"), Language("de", "Deutsch"), Language("it", "Italiano"),
    Language("ja", "日本語"), Language("ko", "한국어"), Language("id", "Bahasa Indonesia"),
    Language("tr", "Türkçe"), Language("ar", "العربية", rtl=True))}
CHOICES = [(code, language.name) for code, language in LANGUAGES.items()]

fan = Domain(translation_directories=[str(FOLDER)], domain=DOMAIN)


def offered(folder=FOLDER):
    """The languages a fan may get: English, and each with a compiled catalogue."""
    return _offered(str(folder))


@lru_cache(maxsize=4)
def _offered(folder):
    found = {path.parent.parent.name for path in Path(folder).glob(f"*/LC_MESSAGES/{DOMAIN}.mo")}
    return tuple(code for code in LANGUAGES if code == DEFAULT or code in found)


def negotiate(chosen, accept_languages, artist_default, codes=None):
    """The language code for a fan: ``chosen`` (the cookie) when offered, else the best match
    of ``accept_languages`` (werkzeug's parsed header), else ``artist_default``, else English."""
    codes = codes or offered()
    if chosen in codes:
        return chosen
    by_tag = {LANGUAGES[code].tag: code for code in codes}
    best = accept_languages.best_match(list(by_tag)) if accept_languages else None
    if best in by_tag:
        return by_tag[best]
    return artist_default if artist_default in codes else DEFAULT


def fan_language():
    """This fan request's language code."""
    return negotiate(request.cookies.get(COOKIE), request.accept_languages,
                     g.get("artist_language"))


def current():
    """The Language of this request (English outside a fan request)."""
    code = str(flask_babel.get_locale() or DEFAULT)
    return LANGUAGES.get(code, LANGUAGES[DEFAULT])


def speak_for(artist):
    """The request acts for ``artist``: their default language now counts."""
    if g.get("artist_language") != artist.language:
        g.artist_language = artist.language
        flask_babel.refresh()


def gettext(text, **variables):
    return fan.gettext(text, **variables)


def ngettext(singular, plural, number, **variables):
    return fan.ngettext(singular, plural, number, **variables)


def install(app):
    """Fan requests get the fan's language, everything else Flask-AppBuilder's choice; the
    templates' _() and ngettext() read the fan catalogues (English is the same either way)."""
    babel = app.extensions["babel"]
    admin_choice = babel.locale_selector

    def select():
        if has_request_context() and request.blueprint == FAN_BLUEPRINT:
            return fan_language()
        return admin_choice() if admin_choice else None

    babel.locale_selector = select
    app.jinja_env.install_gettext_callables(
        lambda text: fan.get_translations().ugettext(text),
        lambda singular, plural, n: fan.get_translations().ungettext(singular, plural, n),
        newstyle=True)
    app.jinja_env.globals["fan_language"] = current


def offered_languages():
    """(code, name) of what the language menu offers."""
    return [(code, LANGUAGES[code].name) for code in offered()]
