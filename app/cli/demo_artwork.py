"""Cover art for the demo, painted with Pillow from a seed: a sky in the artist's colours, a
glowing sun, layered ridges, film grain and the title set in type, so the demo's pages and
screenshots look like a label's and come out the same every time."""
import io
import random

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont


def cover(seed, colours, title=None, subtitle=None, size=1000):
    """JPEG bytes of a square cover; ``colours`` are two "#rrggbb" brand colours."""
    rng = random.Random(seed)
    top, bottom = _rgb(colours[0]), _rgb(colours[1])
    image = _sky(size, _shade(top, 0.55), _mix(top, bottom, 0.5), bottom)
    image = _sun(image, rng, _mix(bottom, (255, 244, 214), 0.6))
    _ridges(image, rng, _mix(bottom, (235, 235, 235), .45), _shade(top, 0.35))
    image = _grain(image, rng)
    if title:
        _lettering(image, title, subtitle)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def portrait(seed, colours, size=600):
    """A softer square for an artist's image: out-of-focus lights over the brand colours."""
    rng = random.Random(seed)
    image = _sky(size, _rgb(colours[0]), _mix(_rgb(colours[0]), _rgb(colours[1]), 0.4),
                 _shade(_rgb(colours[1]), 0.7))
    lights = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(lights)
    for _ in range(22):
        x, y, r = rng.uniform(0, size), rng.uniform(0, size), rng.uniform(size * .03, size * .12)
        glow = _mix(_rgb(colours[1]), (255, 255, 255), rng.uniform(.2, .8))
        draw.ellipse([x - r, y - r, x + r, y + r], fill=tuple(int(c * .4) for c in glow))
    image = ImageChops.screen(image, lights.filter(ImageFilter.GaussianBlur(size / 60)))
    buffer = io.BytesIO()
    _grain(image, rng).save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def _sky(size, high, middle, low):
    """A vertical gradient high → middle → low."""
    column = Image.new("RGB", (1, size))
    for y in range(size):
        t = y / (size - 1)
        column.putpixel((0, y), _mix(high, middle, t * 2) if t < .5 else _mix(middle, low,
                                                                              t * 2 - 1))
    return column.resize((size, size))


def _sun(image, rng, colour):
    size = image.width
    x, y, r = size * rng.uniform(.3, .7), size * rng.uniform(.3, .5), size * rng.uniform(.12, .2)
    small = 4  # the halo is blurred at a quarter of the size: the same look, far sooner
    glow = Image.new("RGB", (size // small,) * 2)
    ImageDraw.Draw(glow).ellipse([(x - r * 2) / small, (y - r * 2) / small, (x + r * 2) / small,
                                  (y + r * 2) / small], fill=tuple(c // 3 for c in colour))
    glow = glow.filter(ImageFilter.GaussianBlur(r / small)).resize(image.size)
    ImageDraw.Draw(glow).ellipse([x - r, y - r, x + r, y + r], fill=colour)
    return ImageChops.screen(image, glow)


def _ridges(image, rng, far, near, layers=4):
    """Mountain lines from back (lighter, higher) to front (darker, lower)."""
    size = image.width
    draw = ImageDraw.Draw(image)
    for layer in range(layers):
        depth = (layer + 1) / layers
        height = size * (.55 + .12 * layer)
        step, points, y = size / 40, [], height
        for i in range(41):
            y += rng.uniform(-1, 1) * size * .03 * (1.2 - depth)
            y = min(max(y, height - size * .12), height + size * .08)
            points.append((i * step, y))
        fill = _mix(far, near, .3 + .7 * depth)
        draw.polygon([(0, size), *points, (size, size)], fill=fill)


def _grain(image, rng, strength=18):
    noise = Image.frombytes("L", image.size, rng.randbytes(image.width * image.height))
    noise = noise.point(lambda v: 128 + (v - 128) * strength // 128).convert("RGB")
    return ImageChops.add(ImageChops.subtract(image, Image.new("RGB", image.size, (9,) * 3)),
                          ImageChops.subtract(noise, Image.new("RGB", image.size, (119,) * 3)))


def _lettering(image, title, subtitle):
    size = image.width
    draw = ImageDraw.Draw(image)
    big = ImageFont.load_default(size=size // 11)
    small = ImageFont.load_default(size=size // 26)
    margin = size // 14
    draw.text((margin, margin), title.upper(), font=big, fill=(255, 255, 255),
              stroke_width=max(1, size // 400), stroke_fill=(0, 0, 0))
    if subtitle:
        draw.text((margin, margin + size // 9), subtitle, font=small, fill=(255, 255, 255))


def _rgb(hex_colour):
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def _mix(a, b, t):
    t = min(max(t, 0), 1)
    return tuple(int(x + (y - x) * t) for x, y in zip(a, b))


def _shade(colour, factor):
    return tuple(int(c * factor) for c in colour)
