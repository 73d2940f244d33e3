"""Colour arithmetic for text that people can read: WCAG contrast, and the ink and shade
that reach AA on a colour (the fan pages, the branding editor, the emails)."""
import re
from functools import lru_cache


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


@lru_cache(maxsize=1024)  # a blast asks for its artist's two colours once per email
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


_HEX = re.compile(r"#[0-9a-fA-F]{6}")


def hex_or(value, default):
    """``value`` when it is "#rrggbb", else ``default``."""
    return value if isinstance(value, str) and _HEX.fullmatch(value) else default
