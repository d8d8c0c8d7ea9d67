"""Illustrations for the demo products, drawn locally (the platform cannot fetch photos).

``draw_demo_image(name, category)`` is a pure function: the same name and category give the
same pixels (and ``demo_image_png`` the same bytes). The parent category decides the palette
and the motif (a fish for hasil laut, a woven pattern for tenun and sarung, a cup for kopi,
a bottle for minyak...); a seed taken from the name varies the shades, the background
pattern and the motif's placement, so two products of one category still differ. The name
is set on a band at the bottom, wrapped and shrunk until it fits.

Shapes are drawn at twice the size and scaled down: ImageDraw does not anti-alias, and the
scaled-down edges look smooth on a phone. The text is drawn at the final size (FreeType
anti-aliases it). ``ImageFont.load_default(size=...)`` is Pillow's bundled TrueType font, so
no system font is needed.
"""
from __future__ import annotations

import colorsys
import hashlib
import io
import math
import random
from dataclasses import dataclass
from typing import Callable

from PIL import Image, ImageDraw, ImageFont

from shared.taxonomy import PARENT_OF

# The square image's side: what a product page shows (up to 40rem) is sharp enough, and a
# smaller drawing is quicker to encode (seeding draws 193 of them).
SIZE = 640
SUPERSAMPLE = 2
BAND_HEIGHT = round(SIZE * 0.29)  # the name band at the bottom
BAND_MARGIN = SIZE // 20  # left and right of the text, in the band
MAX_LINES = 3
FONT_SIZES = tuple(round(SIZE * f) for f in (0.075, 0.0675, 0.06, 0.055, 0.05, 0.045, 0.04))  # largest first
LINE_SPACING = 1.18
ELLIPSIS = "…"

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Palette:
    background: RGB  # top of the gradient
    background_low: RGB  # bottom of the gradient
    pattern: RGB  # the background pattern
    band: RGB  # the name band
    text: RGB
    main: RGB  # the motif
    accent: RGB
    light: RGB


PALETTES = {
    "makanan-minuman": Palette((252, 236, 210), (246, 214, 170), (240, 200, 150), (122, 52, 24), (255, 247, 235),
                               (196, 92, 38), (240, 170, 40), (255, 250, 240)),
    "hasil-laut": Palette((214, 238, 248), (170, 214, 236), (150, 200, 228), (11, 79, 113), (240, 250, 255),
                          (30, 110, 150), (240, 140, 70), (250, 253, 255)),
    "pertanian-perkebunan": Palette((228, 242, 214), (196, 226, 172), (176, 214, 150), (44, 92, 40), (246, 252, 240),
                                    (70, 140, 60), (170, 100, 50), (250, 255, 245)),
    "kerajinan": Palette((246, 228, 214), (232, 200, 176), (222, 184, 156), (96, 46, 38), (255, 244, 236),
                         (150, 62, 48), (214, 160, 60), (255, 250, 244)),
    "fashion": Palette((240, 226, 244), (218, 196, 230), (204, 178, 220), (74, 36, 96), (250, 242, 255),
                       (120, 60, 150), (226, 120, 90), (255, 250, 255)),
    "kesehatan-kecantikan": Palette((220, 244, 236), (186, 228, 214), (166, 216, 200), (22, 96, 84), (238, 252, 248),
                                    (40, 140, 120), (236, 160, 170), (250, 255, 253)),
    "jasa-wisata": Palette((214, 240, 246), (178, 226, 238), (160, 214, 230), (14, 84, 108), (238, 250, 253),
                           (20, 120, 150), (246, 176, 60), (252, 254, 255)),
}
DEFAULT_PALETTE = Palette((232, 232, 228), (210, 210, 204), (196, 196, 190), (60, 64, 68), (248, 248, 246),
                          (110, 116, 122), (200, 150, 60), (252, 252, 250))


def stable_seed(name: str) -> int:
    """A seed from the name that is the same on every run and machine (``hash()`` is not)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big")


def _shift(color: RGB, hue: float, lightness: float = 0.0) -> RGB:
    """``color`` with its hue turned by ``hue`` (a fraction of the circle) and lightness moved."""
    h, lum, s = colorsys.rgb_to_hls(*(c / 255 for c in color))
    h = (h + hue) % 1.0
    lum = min(1.0, max(0.0, lum + lightness))
    return tuple(round(c * 255) for c in colorsys.hls_to_rgb(h, lum, s))  # type: ignore[return-value]


def _varied(palette: Palette, rng: random.Random) -> Palette:
    """The palette with a small, seeded turn of hue: products of one category differ a little."""
    turn = rng.uniform(-0.045, 0.045)
    return Palette(*(_shift(color, turn) for color in (
        palette.background, palette.background_low, palette.pattern, palette.band, palette.text,
        palette.main, palette.accent, palette.light)))


# --- the background ---


def _gradient(size: int, top: RGB, bottom: RGB) -> Image.Image:
    column = Image.new("RGB", (1, 256))
    column.putdata([tuple(round(t + (b - t) * y / 255) for t, b in zip(top, bottom)) for y in range(256)])
    # Smooth down the column, then copied across (NEAREST: a plain copy, much cheaper).
    return column.resize((1, size), Image.Resampling.BILINEAR).resize((size, size), Image.Resampling.NEAREST)


def _pattern(draw: ImageDraw.ImageDraw, size: int, color: RGB, rng: random.Random) -> None:
    kind = rng.choice(("dots", "stripes", "rings", "confetti"))
    unit = size / 1600  # the steps below are for a 1600 px canvas
    if kind == "dots":
        step = round(rng.choice((90, 110, 130)) * unit)
        radius = step // 9
        for row, y in enumerate(range(step // 2, size, step)):
            for x in range(step // 2 + (step // 2 if row % 2 else 0), size, step):
                draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=color)
    elif kind == "stripes":
        step, width = round(rng.choice((120, 150)) * unit), round(rng.choice((26, 36)) * unit)
        for x in range(-size, size * 2, step):
            draw.line((x, 0, x + size, size), fill=color, width=width)
    elif kind == "rings":
        cx, cy = rng.choice(((0, 0), (size, 0), (0, size // 2), (size, size // 2)))
        for radius in range(size // 6, size * 2, size // 7):
            draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=color, width=size // 60)
    else:
        for _ in range(26):
            x, y, r = rng.uniform(0, size), rng.uniform(0, size), rng.uniform(size / 60, size / 22)
            draw.ellipse((x - r, y - r, x + r, y + r), fill=color)


# --- motifs: each draws in a square ``box`` (left, top, side) with the palette ---

Box = tuple[float, float, float]
Motif = Callable[[ImageDraw.ImageDraw, Box, Palette, random.Random], None]


def _at(box: Box, x: float, y: float) -> tuple[float, float]:
    """A point given in fractions of the box."""
    left, top, side = box
    return left + x * side, top + y * side


def _rect(box: Box, x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
    return (*_at(box, x0, y0), *_at(box, x1, y1))


def _width(box: Box, fraction: float) -> int:
    return max(1, round(box[2] * fraction))


def _fish(draw, box, palette, rng):
    body, tail = palette.main, palette.accent
    for index in range(rng.choice((1, 2))):
        dy = 0.0 if index == 0 else 0.3
        scale = 1.0 if index == 0 else 0.6
        sub = (box[0] + box[2] * (0.05 + 0.3 * index), box[1] + box[2] * (dy - 0.08 * index), box[2] * scale)
        draw.polygon([_at(sub, 0.7, 0.5), _at(sub, 0.95, 0.3), _at(sub, 0.95, 0.7)], fill=tail)
        draw.ellipse(_rect(sub, 0.1, 0.3, 0.78, 0.7), fill=body)
        draw.polygon([_at(sub, 0.35, 0.33), _at(sub, 0.5, 0.2), _at(sub, 0.6, 0.34)], fill=body)
        draw.ellipse(_rect(sub, 0.2, 0.42, 0.26, 0.48), fill=palette.light)
        draw.arc(_rect(sub, 0.3, 0.36, 0.5, 0.64), 300, 60, fill=palette.light, width=_width(sub, 0.02))
    for i in range(3):  # waves
        y = 0.84 + i * 0.055
        points = [_at(box, x / 20, y + 0.02 * math.sin(x / 20 * math.tau * 2)) for x in range(21)]
        draw.line(points, fill=palette.main if i == 0 else palette.pattern, width=_width(box, 0.022), joint="curve")


def _seaweed(draw, box, palette, rng):
    for i in range(rng.choice((3, 4, 5))):
        x0 = 0.2 + i * 0.6 / 4 + rng.uniform(-0.03, 0.03)
        points = [_at(box, x0 + 0.07 * math.sin(t / 8 * math.pi * 1.6 + i), 0.95 - t * 0.1) for t in range(9)]
        color = (64, 150, 96) if i % 2 == 0 else (176, 92, 110)  # green and red Eucheuma
        draw.line(points, fill=color, width=_width(box, 0.06), joint="curve")
        for t in range(2, 8, 2):
            x, y = points[t]
            draw.ellipse((x - box[2] * 0.05, y - box[2] * 0.025, x + box[2] * 0.05, y + box[2] * 0.025), fill=color)


def _weave(draw, box, palette, rng):
    """Woven cloth or anyaman: weft strips passing over and under the warp, in a frame."""
    side = box[2]
    draw.rounded_rectangle(_rect(box, 0.08, 0.08, 0.92, 0.92), radius=side * 0.04, fill=palette.band)
    cells = rng.choice((6, 7, 8))
    left, top, right, _ = _rect(box, 0.13, 0.13, 0.87, 0.87)
    cell = (right - left) / cells
    gap = cell * 0.1
    warp = (palette.light, _shift(palette.light, 0, -0.12))
    weft = (palette.main, palette.accent) if rng.random() < 0.5 else (palette.accent, palette.main)
    for col in range(cells):  # the warp, top to bottom
        x = left + col * cell
        draw.rectangle((x + gap, top, x + cell - gap, top + cells * cell), fill=warp[col % 2])
    for row in range(cells):  # the weft: over the warp in every other cell
        y = top + row * cell
        color = weft[row % 2]
        draw.rectangle((left, y + gap, left + cells * cell, y + cell - gap), fill=_shift(color, 0, -0.1))
        for col in range(cells):
            if (row + col) % 2 == 0:
                x = left + col * cell
                draw.rectangle((x, y + gap, x + cell, y + cell - gap), fill=color)
            else:  # the warp shows on top here
                x = left + col * cell
                draw.rectangle((x + gap, y, x + cell - gap, y + cell), fill=warp[col % 2])


def _sarung(draw, box, palette, rng):
    """A folded sarung: a check (kotak) pattern on a cloth with a darker fold."""
    left, top, side = box
    cloth = _rect(box, 0.12, 0.1, 0.88, 0.9)
    draw.rounded_rectangle(cloth, radius=side * 0.03, fill=palette.main)
    step = side * rng.choice((0.12, 0.15))
    for offset in range(1, 8):
        x = cloth[0] + offset * step
        if x < cloth[2]:
            draw.line((x, cloth[1], x, cloth[3]), fill=palette.accent, width=_width(box, 0.025))
        y = cloth[1] + offset * step
        if y < cloth[3]:
            draw.line((cloth[0], y, cloth[2], y), fill=palette.light, width=_width(box, 0.015))
    draw.rectangle(_rect(box, 0.12, 0.68, 0.88, 0.78), fill=palette.band)
    for i in range(8):
        x = 0.16 + i * 0.1
        draw.polygon([_at(box, x, 0.73), _at(box, x + 0.04, 0.69), _at(box, x + 0.08, 0.73), _at(box, x + 0.04, 0.77)],
                     fill=palette.accent)


def _cup(draw, box, palette, rng):
    draw.ellipse(_rect(box, 0.12, 0.78, 0.88, 0.92), fill=palette.band)  # saucer
    draw.chord(_rect(box, 0.2, 0.2, 0.8, 0.86), 0, 180, fill=palette.main)
    draw.rectangle(_rect(box, 0.2, 0.5, 0.8, 0.53), fill=palette.main)
    draw.ellipse(_rect(box, 0.2, 0.46, 0.8, 0.58), fill=palette.main)
    draw.ellipse(_rect(box, 0.24, 0.48, 0.76, 0.56), fill=palette.band)  # the coffee
    draw.arc(_rect(box, 0.7, 0.56, 0.92, 0.76), 270, 90, fill=palette.main, width=_width(box, 0.04))
    for i in range(3):  # steam
        x = 0.36 + i * 0.13
        points = [_at(box, x + 0.03 * math.sin(t / 6 * math.tau + rng.uniform(0, 0.5)), 0.42 - t * 0.045) for t in range(7)]
        draw.line(points, fill=palette.light, width=_width(box, 0.025), joint="curve")


def _bowl(draw, box, palette, rng):
    """A bowl heaped with food (snacks, cakes, sago)."""
    pieces = rng.choice(("round", "chips"))
    for _ in range(9):
        x, y = rng.uniform(0.28, 0.72), rng.uniform(0.36, 0.5)
        color = rng.choice((palette.accent, _shift(palette.accent, 0.03, -0.08), palette.light))
        if pieces == "round":
            draw.ellipse(_rect(box, x - 0.09, y - 0.09, x + 0.09, y + 0.09), fill=color, outline=palette.main,
                         width=_width(box, 0.008))
        else:
            angle = rng.uniform(0, math.tau)
            draw.polygon([_at(box, x + 0.1 * math.cos(angle + k * math.tau / 3), y + 0.07 * math.sin(angle + k * math.tau / 3))
                          for k in range(3)], fill=color, outline=palette.main)
    draw.chord(_rect(box, 0.1, 0.22, 0.9, 0.88), 0, 180, fill=palette.main)
    draw.rectangle(_rect(box, 0.36, 0.86, 0.64, 0.9), fill=palette.band)
    draw.line([_at(box, 0.2, 0.66), _at(box, 0.8, 0.66)], fill=palette.light, width=_width(box, 0.02))


def _jar(draw, box, palette, rng):
    """A honey (or sambal) jar with a dripping label."""
    draw.rounded_rectangle(_rect(box, 0.26, 0.3, 0.74, 0.9), radius=box[2] * 0.08, fill=palette.accent)
    draw.rounded_rectangle(_rect(box, 0.3, 0.16, 0.7, 0.3), radius=box[2] * 0.03, fill=palette.band)
    draw.rounded_rectangle(_rect(box, 0.3, 0.48, 0.7, 0.74), radius=box[2] * 0.03, fill=palette.light)
    for i in range(6):  # a honeycomb row on the label
        cx, cy, r = 0.36 + i * 0.055, 0.61, 0.026
        draw.regular_polygon((*_at(box, cx, cy), box[2] * r), 6, fill=palette.main)
    draw.ellipse(_rect(box, 0.34, 0.34, 0.4, 0.44), fill=palette.light)  # shine


def _mortar(draw, box, palette, rng):
    """A cobek (stone mortar) with chillies and spices."""
    for _ in range(5):
        x = rng.uniform(0.25, 0.7)
        draw.arc(_rect(box, x, 0.18, x + 0.2, 0.5), 200, 340, fill=palette.accent if rng.random() < 0.5 else palette.main,
                 width=_width(box, 0.05))
    draw.chord(_rect(box, 0.12, 0.3, 0.88, 0.9), 0, 180, fill=palette.band)
    draw.ellipse(_rect(box, 0.12, 0.52, 0.88, 0.66), fill=_shift(palette.band, 0, 0.12))
    draw.line([_at(box, 0.62, 0.58), _at(box, 0.86, 0.2)], fill=palette.main, width=_width(box, 0.07))
    for _ in range(7):
        x, y = rng.uniform(0.25, 0.75), rng.uniform(0.56, 0.62)
        draw.ellipse(_rect(box, x - 0.02, y - 0.02, x + 0.02, y + 0.02), fill=palette.accent)


def _glass(draw, box, palette, rng):
    draw.polygon([_at(box, 0.28, 0.15), _at(box, 0.72, 0.15), _at(box, 0.66, 0.9), _at(box, 0.34, 0.9)], fill=palette.light)
    draw.polygon([_at(box, 0.3, 0.35), _at(box, 0.7, 0.35), _at(box, 0.66, 0.88), _at(box, 0.34, 0.88)], fill=palette.accent)
    draw.line([_at(box, 0.55, 0.05), _at(box, 0.5, 0.6)], fill=palette.main, width=_width(box, 0.03))
    draw.ellipse(_rect(box, 0.62, 0.1, 0.82, 0.3), fill=palette.main)  # a slice of fruit on the rim
    draw.ellipse(_rect(box, 0.66, 0.14, 0.78, 0.26), fill=palette.light)


def _beans(draw, box, palette, rng):
    """Cashews and nuts: plump curved kernels heaped on a plate."""
    draw.ellipse(_rect(box, 0.1, 0.62, 0.9, 0.9), fill=palette.band)
    kernel, shade = (236, 200, 140), (196, 150, 90)
    spots = [(0.3, 0.56), (0.5, 0.58), (0.7, 0.56), (0.4, 0.42), (0.6, 0.42), (0.5, 0.28)]
    for x, y in spots:
        x, y = x + rng.uniform(-0.03, 0.03), y + rng.uniform(-0.02, 0.02)
        start = rng.choice((20, 200)) + rng.uniform(-25, 25)
        draw.arc(_rect(box, x - 0.13, y - 0.1, x + 0.13, y + 0.16), start, start + 180, fill=shade, width=_width(box, 0.1))
        draw.arc(_rect(box, x - 0.12, y - 0.09, x + 0.12, y + 0.15), start + 8, start + 172, fill=kernel,
                 width=_width(box, 0.08))


def _pod(draw, box, palette, rng):
    """A cocoa pod, halved, with its beans."""
    draw.ellipse(_rect(box, 0.1, 0.2, 0.62, 0.8), fill=palette.accent)
    for i in range(5):
        x = 0.16 + i * 0.09
        draw.arc(_rect(box, x, 0.22, x + 0.1, 0.78), 270, 90, fill=_shift(palette.accent, 0, -0.1), width=_width(box, 0.012))
    draw.ellipse(_rect(box, 0.5, 0.3, 0.9, 0.86), fill=palette.light)
    for row in range(3):
        for col in range(2):
            x, y = 0.6 + col * 0.12, 0.4 + row * 0.13
            draw.ellipse(_rect(box, x - 0.05, y - 0.04, x + 0.05, y + 0.05), fill=_shift(palette.accent, 0, -0.15))
    draw.line([_at(box, 0.36, 0.2), _at(box, 0.42, 0.06)], fill=palette.main, width=_width(box, 0.03))


def _grain(draw, box, palette, rng):
    """Stalks of rice (or other grain) in a sack."""
    for i in range(3):
        x0 = 0.35 + i * 0.15
        draw.line([_at(box, x0, 0.6), _at(box, x0 - 0.05 + i * 0.05, 0.1)], fill=palette.main, width=_width(box, 0.015))
        for k in range(6):
            y = 0.16 + k * 0.07
            x = x0 - 0.05 + i * 0.05 + (x0 - (x0 - 0.05 + i * 0.05)) * (y - 0.1) / 0.5
            for side in (-1, 1):
                draw.ellipse(_rect(box, x + side * 0.035 - 0.025, y - 0.02, x + side * 0.035 + 0.025, y + 0.02), fill=palette.accent)
    draw.polygon([_at(box, 0.22, 0.5), _at(box, 0.78, 0.5), _at(box, 0.86, 0.92), _at(box, 0.14, 0.92)], fill=palette.band)
    draw.line([_at(box, 0.22, 0.58), _at(box, 0.78, 0.58)], fill=palette.light, width=_width(box, 0.02))


def _leaves(draw, box, palette, rng):
    """Leaves around a round fruit (buah, sayur, herbs)."""
    for i in range(rng.choice((3, 4, 5))):
        angle = -math.pi / 2 + (i - 2) * 0.55 + rng.uniform(-0.1, 0.1)
        cx, cy = 0.5 + 0.22 * math.cos(angle), 0.45 + 0.22 * math.sin(angle)
        tip = (0.5 + 0.42 * math.cos(angle), 0.45 + 0.42 * math.sin(angle))
        normal = (-math.sin(angle) * 0.1, math.cos(angle) * 0.1)
        draw.polygon([_at(box, 0.5, 0.45), _at(box, cx + normal[0], cy + normal[1]), _at(box, *tip),
                      _at(box, cx - normal[0], cy - normal[1])], fill=palette.main)
        draw.line([_at(box, 0.5, 0.45), _at(box, *tip)], fill=palette.light, width=_width(box, 0.01))
    draw.ellipse(_rect(box, 0.3, 0.48, 0.7, 0.88), fill=palette.accent)
    draw.ellipse(_rect(box, 0.38, 0.54, 0.46, 0.62), fill=palette.light)


def _coconut(draw, box, palette, rng):
    draw.ellipse(_rect(box, 0.1, 0.3, 0.56, 0.8), fill=palette.accent)
    draw.ellipse(_rect(box, 0.42, 0.28, 0.9, 0.82), fill=palette.accent)
    draw.ellipse(_rect(box, 0.48, 0.34, 0.84, 0.76), fill=palette.light)
    for x in (0.24, 0.3, 0.36):
        draw.ellipse(_rect(box, x - 0.02, 0.42, x + 0.02, 0.46), fill=palette.band)
    draw.arc(_rect(box, 0.05, -0.1, 0.7, 0.5), 20, 120, fill=palette.main, width=_width(box, 0.05))


def _bottle(draw, box, palette, rng):
    """A bottle (oil, jamu) with a label and a leaf."""
    width = rng.choice((0.36, 0.42))
    left = 0.5 - width / 2
    draw.rounded_rectangle(_rect(box, left, 0.34, left + width, 0.92), radius=box[2] * 0.06, fill=palette.accent)
    draw.polygon([_at(box, left, 0.4), _at(box, 0.44, 0.22), _at(box, 0.56, 0.22), _at(box, left + width, 0.4)], fill=palette.accent)
    draw.rectangle(_rect(box, 0.43, 0.1, 0.57, 0.23), fill=palette.band)
    draw.rounded_rectangle(_rect(box, left + 0.04, 0.5, left + width - 0.04, 0.78), radius=box[2] * 0.02, fill=palette.light)
    draw.ellipse(_rect(box, 0.42, 0.56, 0.58, 0.72), fill=palette.main)
    draw.line([_at(box, left + 0.05, 0.4), _at(box, left + 0.05, 0.86)], fill=palette.light, width=_width(box, 0.02))
    draw.pieslice(_rect(box, 0.6, 0.6, 1.0, 1.0), 180, 270, fill=palette.main)  # a leaf beside it


def _soap(draw, box, palette, rng):
    for i, (x, y) in enumerate(((0.14, 0.5), (0.36, 0.36))):
        color = palette.accent if i else palette.main
        draw.rounded_rectangle(_rect(box, x, y, x + 0.48, y + 0.3), radius=box[2] * 0.06, fill=color)
        draw.rounded_rectangle(_rect(box, x + 0.08, y + 0.07, x + 0.4, y + 0.23), radius=box[2] * 0.04, outline=palette.light,
                               width=_width(box, 0.012))
    for _ in range(6):
        x, y, r = rng.uniform(0.2, 0.85), rng.uniform(0.1, 0.32), rng.uniform(0.03, 0.06)
        draw.ellipse(_rect(box, x - r, y - r, x + r, y + r), outline=palette.main, width=_width(box, 0.01))


def _jewel(draw, box, palette, rng):
    """Silver: a necklace of beads with a pendant, and a ring."""
    silver, shade = (222, 226, 232), (150, 156, 166)
    for k in range(17):
        t = math.pi * (0.1 + 0.8 * k / 16)
        x, y = 0.5 + 0.36 * math.cos(t), 0.18 + 0.42 * math.sin(t)
        draw.ellipse(_rect(box, x - 0.028, y - 0.028, x + 0.028, y + 0.028), fill=silver, outline=shade)
    draw.regular_polygon((*_at(box, 0.5, 0.7), box[2] * 0.09), 4, rotation=45, fill=palette.accent, outline=shade)
    draw.ellipse(_rect(box, 0.66, 0.66, 0.9, 0.9), outline=silver, width=_width(box, 0.035))
    draw.regular_polygon((*_at(box, 0.78, 0.66), box[2] * 0.04), 6, fill=palette.main)


def _carving(draw, box, palette, rng):
    """A carved wooden panel: a frame with a spiral ornament."""
    wood, dark = (176, 118, 70), (112, 70, 40)
    draw.rounded_rectangle(_rect(box, 0.14, 0.1, 0.86, 0.9), radius=box[2] * 0.03, fill=wood, outline=dark, width=_width(box, 0.03))
    for corner in ((0.3, 0.28), (0.7, 0.28), (0.3, 0.72), (0.7, 0.72)):
        points = [_at(box, corner[0] + 0.012 * t * math.cos(t * 0.7), corner[1] + 0.012 * t * math.sin(t * 0.7)) for t in range(14)]
        draw.line(points, fill=dark, width=_width(box, 0.014), joint="curve")
    draw.ellipse(_rect(box, 0.4, 0.4, 0.6, 0.6), outline=dark, width=_width(box, 0.02))
    draw.regular_polygon((*_at(box, 0.5, 0.5), box[2] * 0.06), rng.choice((4, 6, 8)), fill=dark)


def _pot(draw, box, palette, rng):
    """Gerabah: a clay pot with a painted band."""
    clay = (190, 104, 66)
    draw.ellipse(_rect(box, 0.16, 0.32, 0.84, 0.94), fill=clay)
    draw.rectangle(_rect(box, 0.34, 0.16, 0.66, 0.4), fill=clay)
    draw.ellipse(_rect(box, 0.3, 0.12, 0.7, 0.22), fill=_shift(clay, 0, -0.12))
    draw.rectangle(_rect(box, 0.18, 0.56, 0.82, 0.62), fill=palette.band)
    for i in range(6):
        x = 0.24 + i * 0.1
        draw.polygon([_at(box, x, 0.68), _at(box, x + 0.05, 0.76), _at(box, x + 0.1, 0.68)], fill=palette.light)


def _shirt(draw, box, palette, rng):
    outline = [(0.3, 0.14), (0.42, 0.1), (0.5, 0.18), (0.58, 0.1), (0.7, 0.14), (0.92, 0.32), (0.8, 0.44), (0.72, 0.38),
               (0.72, 0.9), (0.28, 0.9), (0.28, 0.38), (0.2, 0.44), (0.08, 0.32)]
    draw.polygon([_at(box, x, y) for x, y in outline], fill=palette.main)
    for i in range(4):  # a woven band across the chest
        y = 0.46 + i * 0.06
        draw.line([_at(box, 0.28, y), _at(box, 0.72, y)], fill=palette.accent if i % 2 == 0 else palette.light, width=_width(box, 0.025))
    draw.line([_at(box, 0.5, 0.18), _at(box, 0.5, 0.9)], fill=palette.band, width=_width(box, 0.008))


def _bag(draw, box, palette, rng):
    draw.arc(_rect(box, 0.3, 0.12, 0.7, 0.56), 180, 360, fill=palette.band, width=_width(box, 0.04))
    draw.rounded_rectangle(_rect(box, 0.16, 0.34, 0.84, 0.9), radius=box[2] * 0.06, fill=palette.main)
    for i in range(5):  # woven stripes
        y = 0.44 + i * 0.09
        draw.line([_at(box, 0.2, y), _at(box, 0.8, y)], fill=palette.accent if i % 2 else palette.light, width=_width(box, 0.02))
    draw.rounded_rectangle(_rect(box, 0.44, 0.34, 0.56, 0.46), radius=box[2] * 0.02, fill=palette.band)


def _waves(draw, box, palette, top: float = 0.8):
    for i in range(3):
        y = top + i * 0.06
        points = [_at(box, x / 20, y + 0.02 * math.sin(x / 20 * math.tau * 2 + i)) for x in range(21)]
        draw.line(points, fill=palette.main if i == 0 else palette.pattern, width=_width(box, 0.022), joint="curve")


def _boat(draw, box, palette, rng):
    """A boat with a sail on the waves, and the sun (trips, boat hire)."""
    sun = rng.uniform(0.14, 0.3)
    draw.ellipse(_rect(box, 0.66, sun - 0.1, 0.86, sun + 0.1), fill=palette.accent)
    draw.polygon([_at(box, 0.12, 0.62), _at(box, 0.88, 0.62), _at(box, 0.74, 0.78), _at(box, 0.26, 0.78)],
                 fill=palette.band)
    draw.line([_at(box, 0.5, 0.62), _at(box, 0.5, 0.16)], fill=palette.band, width=_width(box, 0.02))
    draw.polygon([_at(box, 0.52, 0.18), _at(box, 0.52, 0.58), _at(box, 0.8, 0.58)], fill=palette.light)
    draw.polygon([_at(box, 0.48, 0.26), _at(box, 0.48, 0.58), _at(box, 0.26, 0.58)], fill=palette.main)
    _waves(draw, box, palette)


def _diver(draw, box, palette, rng):
    """A diving mask and snorkel among bubbles (diving and snorkelling)."""
    for _ in range(7):
        x, y, r = rng.uniform(0.12, 0.88), rng.uniform(0.08, 0.3), rng.uniform(0.02, 0.05)
        draw.ellipse(_rect(box, x - r, y - r, x + r, y + r), outline=palette.light, width=_width(box, 0.012))
    draw.rounded_rectangle(_rect(box, 0.18, 0.38, 0.74, 0.66), radius=box[2] * 0.1, fill=palette.band)
    draw.rounded_rectangle(_rect(box, 0.23, 0.43, 0.44, 0.61), radius=box[2] * 0.06, fill=palette.light)
    draw.rounded_rectangle(_rect(box, 0.48, 0.43, 0.69, 0.61), radius=box[2] * 0.06, fill=palette.light)
    draw.line([_at(box, 0.8, 0.72), _at(box, 0.8, 0.24)], fill=palette.accent, width=_width(box, 0.05))
    draw.arc(_rect(box, 0.66, 0.6, 0.8, 0.8), 0, 180, fill=palette.accent, width=_width(box, 0.05))
    _waves(draw, box, palette, top=0.84)


def _house(draw, box, palette, rng):
    """A stilt house on the shore (homestays)."""
    draw.polygon([_at(box, 0.16, 0.44), _at(box, 0.5, 0.16), _at(box, 0.84, 0.44)], fill=palette.band)
    draw.rectangle(_rect(box, 0.24, 0.44, 0.76, 0.68), fill=palette.main)
    draw.rectangle(_rect(box, 0.44, 0.52, 0.56, 0.68), fill=palette.accent)
    for x in (0.3, 0.62):
        draw.rectangle(_rect(box, x, 0.5, x + 0.08, 0.58), fill=palette.light)
    for x in (0.28, 0.5, 0.72):
        draw.line([_at(box, x, 0.68), _at(box, x, 0.82)], fill=palette.band, width=_width(box, 0.025))
    _waves(draw, box, palette, top=0.82)


def _guide(draw, box, palette, rng):
    """A map pin over hills (guides)."""
    draw.chord(_rect(box, 0.02, 0.56, 0.62, 1.1), 180, 360, fill=palette.pattern)
    draw.chord(_rect(box, 0.36, 0.5, 1.0, 1.1), 180, 360, fill=palette.main)
    draw.ellipse(_rect(box, 0.32, 0.12, 0.68, 0.48), fill=palette.accent)
    draw.polygon([_at(box, 0.35, 0.38), _at(box, 0.65, 0.38), _at(box, 0.5, 0.7)], fill=palette.accent)
    draw.ellipse(_rect(box, 0.43, 0.23, 0.57, 0.37), fill=palette.light)


# Leaf category -> motif; otherwise the parent's motif.
LEAF_MOTIFS: dict[str, Motif] = {
    "kopi-teh": _cup, "madu": _jar, "bumbu-rempah": _mortar, "minuman": _glass,
    "rumput-laut": _seaweed,
    "mete-kacang": _beans, "kakao-cokelat": _pod, "beras-biji-bijian": _grain, "buah-sayur": _leaves,
    "kelapa-olahan": _coconut,
    "tenun": _weave, "anyaman": _weave, "perak-perhiasan": _jewel, "ukiran-kayu": _carving, "gerabah": _pot,
    "sarung": _sarung, "pakaian": _shirt, "aksesori": _bag,
    "herbal-jamu": _bottle, "minyak-atsiri": _bottle, "perawatan-tubuh": _soap,
    "paket-wisata": _boat, "sewa-perahu": _boat, "selam-snorkeling": _diver, "penginapan": _house,
    "pemandu-wisata": _guide,
}
PARENT_MOTIFS: dict[str, Motif] = {
    "makanan-minuman": _bowl, "hasil-laut": _fish, "pertanian-perkebunan": _leaves, "kerajinan": _weave,
    "fashion": _sarung, "kesehatan-kecantikan": _bottle, "jasa-wisata": _boat,
}


def motif_for(category: str) -> Motif:
    return LEAF_MOTIFS.get(category) or PARENT_MOTIFS.get(PARENT_OF.get(category, category), _bowl)


# --- the name ---


@dataclass(frozen=True)
class NameLayout:
    font_size: int
    lines: list[str]
    boxes: list[tuple[int, int, int, int]]  # each line's ink box in the image (left, top, right, bottom)


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)  # type: ignore[return-value]


def _wrap(words: list[str], font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    for word in words:
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _shorten(line: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    """``line`` cut (with an ellipsis) to fit ``width``."""
    while line and font.getlength(line + ELLIPSIS) > width:
        line = line[:-1].rstrip()
    return line + ELLIPSIS


def layout_name(name: str) -> NameLayout:
    """The name wrapped into at most ``MAX_LINES`` lines at the largest font size that fits
    the band; at the smallest size a longer name is cut with an ellipsis."""
    size = SIZE
    words = " ".join(name.split()).split(" ") or [""]
    width = size - 2 * BAND_MARGIN
    band_top = size - BAND_HEIGHT
    for font_size in FONT_SIZES:
        font = _font(font_size)
        lines = _wrap(words, font, width)
        line_height = round(font_size * LINE_SPACING)
        fits = len(lines) <= MAX_LINES and all(font.getlength(line) <= width for line in lines)
        if fits and line_height * len(lines) <= BAND_HEIGHT - size // 32:
            break
    else:  # the smallest size: keep MAX_LINES lines, each cut to the width
        lines = lines[:MAX_LINES]
        last_cut = len(_wrap(words, font, width)) > MAX_LINES
        lines = [line if font.getlength(line) <= width else _shorten(line, font, width) for line in lines]
        if last_cut and not lines[-1].endswith(ELLIPSIS):
            lines[-1] = _shorten(lines[-1], font, width)
    block = line_height * len(lines)
    top = band_top + (BAND_HEIGHT - block) // 2
    boxes = []
    for index, line in enumerate(lines):
        y = top + index * line_height + (line_height - font_size) // 2
        left, ink_top, right, bottom = font.getbbox(line)
        x = (size - (right - left)) // 2 - left
        boxes.append((round(x + left), round(y + ink_top), round(x + right), round(y + bottom)))
    return NameLayout(font_size=font_size, lines=lines, boxes=boxes)


def _draw_name(image: Image.Image, name: str, palette: Palette) -> None:
    draw = ImageDraw.Draw(image)
    layout = layout_name(name)
    font = _font(layout.font_size)
    for line, (left, top, _right, _bottom) in zip(layout.lines, layout.boxes):
        ink_left, ink_top, _, _ = font.getbbox(line)
        # A stroke in the text colour makes a heavier face, easier to read when scaled down;
        # not on small sizes, where it would fill the gap between an i and its dot.
        stroke = 1 if layout.font_size >= SIZE * 0.06 else 0
        draw.text((left - ink_left, top - ink_top), line, font=font, fill=palette.text, stroke_width=stroke,
                  stroke_fill=palette.text)


# --- the whole image ---


def draw_demo_image(name: str, category: str, seed: int | None = None) -> Image.Image:
    """An RGB ``SIZE`` x ``SIZE`` illustration of the product ``name`` in ``category`` (a leaf
    slug). ``seed`` varies the composition; default: from the name."""
    rng = random.Random(stable_seed(name) if seed is None else seed)
    palette = _varied(PALETTES.get(PARENT_OF.get(category, category), DEFAULT_PALETTE), rng)
    big = SIZE * SUPERSAMPLE
    canvas = _gradient(big, palette.background, palette.background_low)
    draw = ImageDraw.Draw(canvas)
    _pattern(draw, big, palette.pattern, rng)

    # The motif in the area above the band, on a soft disc, a little off centre.
    area = big - BAND_HEIGHT * SUPERSAMPLE
    side = area * rng.uniform(0.78, 0.86)
    left = (big - side) / 2 + rng.uniform(-0.06, 0.06) * side
    top = (area - side) / 2 + rng.uniform(-0.03, 0.05) * side
    disc = side * 0.56
    cx, cy = left + side / 2, top + side / 2
    draw.ellipse((cx - disc, cy - disc, cx + disc, cy + disc), fill=_shift(palette.background, 0, 0.05))
    motif_for(category)(draw, (left, top, side), palette, rng)

    # The band, with a thin accent line along its top edge.
    band_top = (SIZE - BAND_HEIGHT) * SUPERSAMPLE
    draw.rectangle((0, band_top, big, big), fill=palette.band)
    draw.rectangle((0, band_top, big, band_top + SIZE // 128 * SUPERSAMPLE), fill=palette.accent)

    image = canvas.reduce(SUPERSAMPLE)
    _draw_name(image, name, palette)
    return image


def demo_image_png(name: str, category: str, seed: int | None = None) -> bytes:
    """``draw_demo_image`` as PNG bytes (fast compression: the upload path re-encodes to WebP)."""
    buffer = io.BytesIO()
    draw_demo_image(name, category, seed).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
