"""Message templates: staff's words with {merge_fields}, rendered by Jinja's sandboxed
environment, and what an SMS of them costs.

Staff write ``Hi {fan_first_name}, “{release_title}” is out: {stream_url}``; the sandbox
uses single braces for fields (``{% if fan_first_name %}…{% endif %}`` works too) and refuses
anything but the fields below, so a template can read no more than the fan's own values.
``check`` says in words what is wrong with a template before it is stored; ``render`` fills
it in for one recipient.
"""
import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape

from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment

FIELDS = {
    "fan_first_name": "the fan's first name (blank when they gave none)",
    "artist_name": "the artist's name",
    "release_title": "the release's title",
    "release_date_local": "the release's date and time in its zone",
    "fan_page_url": "the release's fan page",
    "stream_url": "the release on the fan's platform (the fan page until it is found)",
    "platform_name": "the platform the fan pre-saved on",
    "unsubscribe_url": "the fan's one-click unsubscribe link",
    "in_library": "yes once release day saved the release into the fan's library "
                  "(for {% if in_library %}…{% endif %})",
}

_TRIAL = {name: "x" for name in FIELDS} | {"in_library": True}
_env = SandboxedEnvironment(variable_start_string="{", variable_end_string="}",
                            undefined=StrictUndefined, autoescape=False,
                            keep_trailing_newline=True)
_env.globals.clear()  # no range(), lipsum(), dict(): a template has the fan's fields and nothing else


class TemplateProblem(ValueError):
    """A template that cannot be stored; ``str()`` says why, for the person who wrote it."""


def check(text):
    """``text``, or TemplateProblem when it does not parse or names a field we do not have."""
    try:
        used = meta.find_undeclared_variables(_env.parse(text or ""))
    except TemplateError as exc:
        raise TemplateProblem(f"The template cannot be read near line {exc.lineno}: "
                              f"{exc.message}. Merge fields look like {{fan_first_name}}; "
                              "a lone “{” or “}” is not allowed.") from None
    unknown = sorted(used - FIELDS.keys())
    if unknown:
        raise TemplateProblem(f"Unknown merge field{'s' if len(unknown) > 1 else ''}: "
                              + ", ".join(f"{{{name}}}" for name in unknown)
                              + ". Use " + ", ".join(f"{{{name}}}" for name in FIELDS) + ".")
    try:  # a trial with every field filled: the sandbox refuses what reaches past the values
        _env.from_string(text or "").render(**_TRIAL)
    except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError) as exc:
        raise TemplateProblem(f"The template cannot be filled in ({exc}). Use the merge fields "
                              "as they are, such as {fan_first_name}.") from None
    return text


@lru_cache(maxsize=256)
def _compiled(text):
    return _env.from_string(text)


def render(text, fields):
    """``text`` with the fields filled in (a template ``check`` passed); each text is
    compiled once per process (a blast renders the same words for every fan)."""
    try:
        return _compiled(text or "").render(**fields)
    except TemplateError as exc:  # stored before a check existed, or a field went missing
        raise TemplateProblem(f"The template could not be filled in: {exc}") from None


_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]]")


def text_to_html(text):
    """Plain text as HTML paragraphs, every character escaped and each web address a link."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "\n".join(f"<p>{_linked(p)}</p>" for p in paragraphs)


def _linked(paragraph):
    out, last = [], 0
    for match in _URL.finditer(paragraph):
        out.append(escape(paragraph[last:match.start()]))
        url = escape(match.group(0))
        out.append(f'<a href="{url}">{url}</a>')
        last = match.end()
    out.append(escape(paragraph[last:]))
    return "".join(out).replace("\n", "<br>\n")


# -- SMS: characters and segments ------------------------------------------------------

_GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNO"
            "PQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
_GSM7_EXTENDED = set("^{}\\[~]|€\f")  # two septets each


@dataclass(frozen=True)
class SmsSize:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int

    def __str__(self):
        per = "characters" if self.encoding == "GSM-7" else "UCS-2 characters"
        return (f"{self.units} {per}, {self.segments} segment{'s' if self.segments != 1 else ''}"
                f" ({self.encoding})")


def sms_size(text):
    """How an SMS of ``text`` is sent: GSM-7 when every character is in the GSM 03.38
    alphabet (160 a segment, 153 when split), else UCS-2 (70, or 67 when split)."""
    if all(ch in _GSM7 or ch in _GSM7_EXTENDED for ch in text):
        units = sum(2 if ch in _GSM7_EXTENDED else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else -(-units // multi)
    return SmsSize(encoding, units, segments)
