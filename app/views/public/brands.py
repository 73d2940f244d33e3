"""Each platform's name, colours and logo (simple-icons, inlined as SVG), for the fan page buttons."""
import re
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup
from simple_icons_pack import get_icon

from app.colors import legible
from app.platform_table import descriptor, name

# A platform without a logo in simple-icons (Amazon Music): a neutral pair of notes, on a
# neutral dark button.
NEUTRAL_HEX = "2B3440"
NOTE_PATH = ("M21 2.5v13.25a3.25 3.25 0 1 1-2-3V7.1l-9 1.9v8.75a3.25 3.25 0 1 1-2-3V5.6a1 1 0 0 1 "
             ".79-.98l11-2.3A1 1 0 0 1 21 3.3Z")
NOTE_SVG = f'<svg viewBox="0 0 24 24"><path d="{NOTE_PATH}"/></svg>'


@dataclass(frozen=True)
class Brand:
    key: str
    name: str
    color: str  # "#RRGGBB", the button's background
    on_color: str  # the text and icon colour that reads on it
    svg: Markup
    guidelines: str | None = None


@lru_cache(maxsize=None)
def brand(key):
    found = descriptor(key)
    icon = get_icon(found.icon) if found and found.icon else None
    shade, ink = legible(f"#{icon.hex if icon else NEUTRAL_HEX}")
    return Brand(key=key, name=name(key), color=shade,
                 on_color=ink, svg=_inline(icon.svg if icon else NOTE_SVG),
                 guidelines=icon.guidelines if icon else None)


def _inline(svg):
    """Decorative inline SVG: the button's text names the platform, so screen readers skip it.

    The namespace and <title> go (an HTML parser needs neither) so the page
    carries no URL but its own; fill follows the button's text colour.
    """
    svg = re.sub(r'\s(?:xmlns|role)="[^"]*"', "", svg)
    svg = re.sub(r"<title>.*?</title>", "", svg)
    svg = svg.replace("<svg", '<svg aria-hidden="true" focusable="false" fill="currentColor"'
                      ' class="brand-icon"', 1)
    return Markup(svg)
