"""QR codes, drawn by segno: SVG to sit in a page or go to print, PNG for everything else.

Dark modules on white with the quiet zone the standard asks for (four modules), so a code
scans from a poster as well as from a screen. A colour is used for the modules only when it
keeps enough contrast with white; otherwise they are black."""
import html
import io
import re

import segno

from app.colors import contrast, hex_or

QUIET_ZONE = 4  # modules (ISO/IEC 18004)
SCAN_CONTRAST = 4.5  # dark modules against white: what phone cameras read in poor light
_SVG_START = re.compile(r"^.*?(?=<svg)", re.S)


def ink(*colours):
    """The first of ``colours`` ("#rrggbb") that scans on white, else black."""
    for colour in colours:
        colour = hex_or(colour, None)
        if colour and contrast(colour, "#ffffff") >= SCAN_CONTRAST:
            return colour.lower()
    return "#000000"


def _code(text):
    return segno.make(text, error="m", micro=False)


def svg(text, dark="#000000", scale=10, border=QUIET_ZONE, css_class=None, label=None):
    """The code of ``text`` as an ``<svg>`` element (no XML declaration) with a viewBox and no
    size of its own: the page's CSS sizes it."""
    out = io.BytesIO()
    _code(text).save(out, kind="svg", dark=dark, light="#ffffff", scale=scale, border=border,
                     xmldecl=False, svgclass=css_class, title=label, omitsize=True)
    markup = _SVG_START.sub("", out.getvalue().decode())
    return markup.replace("<svg ", '<svg role="img" ' + (
        f'aria-label="{html.escape(label)}" ' if label else ""), 1)


def svg_document(text, dark="#000000", scale=10):
    """A standalone SVG file of the code, for download."""
    out = io.BytesIO()
    _code(text).save(out, kind="svg", dark=dark, light="#ffffff", scale=scale,
                     border=QUIET_ZONE)
    return out.getvalue()


def png(text, dark="#000000", scale=10):
    """A PNG file of the code."""
    out = io.BytesIO()
    _code(text).save(out, kind="png", dark=dark, light="#ffffff", scale=scale,
                     border=QUIET_ZONE)
    return out.getvalue()
