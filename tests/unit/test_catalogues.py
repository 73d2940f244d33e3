"""The fan's words in every language: the catalogues hold what the code says today (`make
translations` was run), every message is translated and compiles, and no fan-facing words in a
template escape extraction."""
import re
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "app" / "translations"
CATALOGUES = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/fan.po"))
TEMPLATES = sorted([*(ROOT / "app" / "templates" / "fan").glob("*.html"),
                    *(ROOT / "app" / "templates" / "email").glob("*.html"),
                    ROOT / "app" / "templates" / "error.html"])
LAUNCH = {"es", "pt_BR", "fr", "de", "it", "ja", "ko", "id", "tr", "ar"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
MERGE_FIELD = re.compile(r"(?<!{){(\w+)}")  # an automation's {release_title}
TEMPLATE_TAG = re.compile(r"{%-?\s*(\w+)[^%]*%}")  # its {% if in_library %}, by keyword
# Words a template may show as they are: the product's name in a bare page title.
AS_THEY_ARE = {"Presave"}


def _read(path):
    with path.open("rb") as handle:
        return read_po(handle)


def _ids(catalog):
    """Each message's id: its singular for one with plural forms."""
    return {message.id if isinstance(message.id, str) else message.id[0]
            for message in catalog if message.id}


@pytest.fixture(scope="module")
def extracted():
    """What extraction finds in the code now, as `make translations` runs it."""
    with (TRANSLATIONS / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options_map,
                                                keywords=DEFAULT_KEYWORDS):
        found.add(message if isinstance(message, str) else tuple(message))
    return {m if isinstance(m, str) else m[0] for m in found}


def test_every_launch_language_has_a_catalogue():
    assert {path.parents[1].name for path in CATALOGUES} == LAUNCH


def test_the_template_holds_what_the_code_says(extracted):
    template = _read(TRANSLATIONS / "fan.pot")
    assert extracted - _ids(template) == set(), "run `make translations`"
    assert _ids(template) - extracted == set(), "run `make translations`"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parents[1].name)
def test_each_catalogue_is_complete_and_compiles(path, extracted):
    catalog = _read(path)
    assert _ids(catalog) == extracted, "run `make translations`, then translate what is new"
    for message in catalog:
        if not message.id:
            continue
        forms = message.string if isinstance(message.string, (tuple, list)) else [message.string]
        assert all(forms) and not message.fuzzy, f"{path.parents[1].name}: {message.id!r}"
        wanted = set(PLACEHOLDER.findall(message.id if isinstance(message.id, str)
                                         else message.id[-1]))
        for form in forms:
            # Every %(name)s of the English, and no other: a missing one loses the artist's
            # name; an unknown one is a KeyError on the page.
            given = set(PLACEHOLDER.findall(form))
            assert given <= wanted and (given == wanted or isinstance(message.id, tuple)), \
                f"{path.parents[1].name}: {message.id!r} -> {form!r}"
            # An automation's merge fields and its {% if %}…{% endif %}: all of them, in order.
            english = message.id if isinstance(message.id, str) else message.id[0]
            assert sorted(MERGE_FIELD.findall(form)) == sorted(MERGE_FIELD.findall(english)) \
                and TEMPLATE_TAG.findall(form) == TEMPLATE_TAG.findall(english), \
                f"{path.parents[1].name}: {message.id!r} -> {form!r}"
            # Templates %-format every message (Jinja's newstyle gettext), with or without
            # values: a stray % is a 500. Where the words land in an attribute, a quote the
            # English has not would end it.
            if "{%" not in english:
                form % {name: "x" for name in wanted}
            assert not [c for c in '"<&' if c in form and c not in english], \
                f"{path.parents[1].name}: {message.id!r} -> {form!r}"
        assert not list(message.check(catalog)), f"{path.parents[1].name}: {message.id!r}"
    write_mo(BytesIO(), catalog)  # compiles


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parents[1].name)
def test_the_sms_opt_out_keeps_its_keyword(path):
    """Carriers act on STOP whatever the language around it."""
    assert "STOP" in _read(path)["Reply STOP to opt out."].string


class _Text(HTMLParser):
    """The words a template shows a person, outside Jinja's own tags: text and the attributes
    read aloud or shown (alt, title, aria-label, placeholder)."""

    SHOWN = {"alt", "title", "aria-label", "placeholder"}

    def __init__(self):
        super().__init__()
        self.words, self._hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._hidden += 1
        self.words += [value for name, value in attrs if name in self.SHOWN and value]

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.words.append(data)


def _outside_jinja(source):
    source = re.sub(r"{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}", " ", source, flags=re.S)
    # blocks that fill an attribute the page never shows as words (robots, the body's class)
    source = re.sub(r"{%\s*block (robots|body_class)\s*%}.*?{%\s*endblock\s*%}", " ", source,
                    flags=re.S)
    return re.sub(r"{{.*?}}|{%.*?%}|{#.*?#}", " ", source, flags=re.S)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_no_fan_facing_words_escape_extraction(path):
    parser = _Text()
    parser.feed(_outside_jinja(path.read_text()))
    left = [w.strip() for w in parser.words
            if re.search(r"[^\W\d_]{2,}", w) and w.strip(" ·\n") not in AS_THEY_ARE]
    assert left == [], f"{path.name}: wrap these in _() or {{% trans %}}"
