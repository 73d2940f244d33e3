"""Each platform's name, colours and logo (simple-icons, inlined as SVG), for the fan page buttons."""
import re
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup
from simple_icons_pack import get_icon

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


def luminance(hex_color):
    """WCAG relative luminance of "RRGGBB" or "#RRGGBB"."""
    hex_color = hex_color.lstrip("#")

    def channel(value):
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(int(hex_color[i:i + 2], 16)) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


AA_TEXT = 4.5  # WCAG 2.2 AA for body text


def readable_on(hex_color):
    """White where it reads well enough (brands print white on their red and purple), else black."""
    return "#ffffff" if contrast(hex_color, "ffffff") >= 3.4 else "#000000"


def legible(hex_color):
    """(shade, ink): the colour and the white or black text on it, at AA contrast.

    The ink is the one the colour's owner would print (readable_on); where it falls short of
    4.5:1 (Apple Music's and YouTube's reds under white), the colour is darkened, or lightened
    under black, in small steps until it reads: the hue stays recognisable."""
    ink = readable_on(hex_color)
    toward = "#000000" if ink == "#ffffff" else "#ffffff"
    shade = "#" + hex_color.lstrip("#").lower()
    for step in range(1, 21):
        if contrast(shade, ink) >= AA_TEXT:
            break
        shade = mix(hex_color, toward, step * 0.05)
    return shade, ink


def best_ink(hex_color):
    """Black or white, whichever reads better on ``hex_color``."""
    return max(("#000000", "#ffffff"), key=lambda ink: contrast(hex_color, ink))


def mix(hex_color, other, share):
    """``hex_color`` with ``share`` (0..1) of ``other`` mixed in, as "#rrggbb"."""
    a, b = (tuple(int(c.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)) for c in (hex_color, other))
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b))


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
