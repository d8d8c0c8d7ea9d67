"""Small server-rendered SVG charts for the promoter and admin pages.

No JavaScript and no ``style`` attributes (the CSP forbids inline styles): sizes and
positions are SVG geometry, colours come from CSS classes in ``site.css``
(``.chart .bar``, ``.chart .line``, ``.chart .point``, ``.chart .axis``, ``.chart .label``).
Every chart is ``role="img"`` with a title and a ``<title>`` per bar or point (the value on
hover/long-press); the page shows the same numbers in a table, the accessible alternative.

    vertical_bars([("3 Des", 120), ("4 Des", 80)], title="Tayangan per hari")
    line([("3 Des", 4), ("4 Des", 7)], title="Klik per hari")
    horizontal_bars([("Muna", 12), ("Buton", 3)], title="Usaha per kabupaten/kota")

Each returns ``Markup`` (labels and titles are escaped here), or "" when there is nothing
to draw.
"""
from __future__ import annotations

import itertools
from typing import NamedTuple

from markupsafe import Markup, escape

_ids = itertools.count(1)


def _number(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _grouped(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _nice_max(value: int) -> int:
    """The axis maximum: 1, 2, 5 times a power of ten, at least ``value``."""
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover


def _open(kind: str, title: str, width: int, height: int) -> list[str]:
    title_id = f"chart-{next(_ids)}"
    parts = [
        f'<svg class="chart {kind}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="{title_id}" preserveAspectRatio="xMinYMin meet" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{title_id}">{escape(title)}</title>',
    ]
    return parts


def _label_every(count: int, room: int) -> int:
    return max(1, -(-count // max(1, room)))


def _points(points) -> list[tuple[str, int]]:
    return [(str(label), _number(value)) for label, value in points]


class _Frame(NamedTuple):
    """The plot area of a chart over time, and the parts drawn so far (the frame and y axis)."""
    left: int
    top: int
    plot_w: float
    plot_h: float
    top_value: int
    label_every: int
    parts: list[str]


def _frame(kind: str, points: list[tuple[str, int]], title: str, width: int, height: int, right: int) -> _Frame:
    """The y axis runs up to a round maximum; x labels are spaced at least 52 px apart."""
    left, top, bottom = 44, 12, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max(value for _, value in points))
    every = _label_every(len(points), int(plot_w // 52))
    parts = _open(kind, title, width, height)
    parts += _axes(left, top, plot_w, plot_h, top_value)
    return _Frame(left, top, plot_w, plot_h, top_value, every, parts)


def _x_label(x: float, height: int, label: str) -> str:
    return (f'<text class="label" x="{_fmt(x)}" y="{height - 10}" text-anchor="middle" '
            f'font-size="13">{escape(label)}</text>')


def vertical_bars(points, title: str, width: int = 420, height: int = 200) -> Markup:
    """One ``<rect class="bar">`` per point (label, value), left to right."""
    points = _points(points)
    if not points:
        return Markup("")
    left, top, plot_w, plot_h, top_value, every, parts = _frame("vbars", points, title, width, height, right=8)
    slot = plot_w / len(points)
    bar_w = max(1.0, slot * 0.7)
    for index, (label, value) in enumerate(points):
        bar_h = plot_h * value / top_value
        x = left + index * slot + (slot - bar_w) / 2
        parts.append(
            f'<rect class="bar" x="{_fmt(x)}" y="{_fmt(top + plot_h - bar_h)}" width="{_fmt(bar_w)}" '
            f'height="{_fmt(bar_h)}"><title>{escape(label)}: {_grouped(value)}</title></rect>'
        )
        if index % every == 0:
            parts.append(_x_label(left + index * slot + slot / 2, height, label))
    parts.append("</svg>")
    return Markup("".join(parts))


def line(points, title: str, width: int = 420, height: int = 200) -> Markup:
    """A polyline through one ``<circle class="point">`` per point (label, value)."""
    points = _points(points)
    if not points:
        return Markup("")
    left, top, plot_w, plot_h, top_value, every, parts = _frame("linechart", points, title, width, height, right=20)
    step = plot_w / max(1, len(points) - 1) if len(points) > 1 else 0
    coords = []
    for index, (_, value) in enumerate(points):
        x = left + (index * step if len(points) > 1 else plot_w / 2)
        coords.append((x, top + plot_h - plot_h * value / top_value))
    parts.append('<polyline class="line" fill="none" stroke-width="2" points="'
                 + " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in coords) + '"/>')
    for index, ((label, value), (x, y)) in enumerate(zip(points, coords, strict=True)):
        parts.append(f'<circle class="point" cx="{_fmt(x)}" cy="{_fmt(y)}" r="3.5">'
                     f"<title>{escape(label)}: {_grouped(value)}</title></circle>")
        if index % every == 0:
            parts.append(_x_label(x, height, label))
    parts.append("</svg>")
    return Markup("".join(parts))


def horizontal_bars(points, title: str, width: int = 420, row: int = 24, label_width: int = 130) -> Markup:
    """One ``<rect class="bar">`` per point (label, value), top to bottom, the value at its end."""
    points = _points(points)
    if not points:
        return Markup("")
    top, value_room = 4, 48
    height = top * 2 + row * len(points)
    plot_w = width - label_width - value_room
    top_value = max(1, max(value for _, value in points))
    parts = _open("hbars", title, width, height)
    for index, (label, value) in enumerate(points):
        y = top + index * row
        bar_w = plot_w * value / top_value
        shown = label if len(label) <= 18 else label[:17] + "…"
        parts.append(f'<text class="label" x="{label_width - 6}" y="{_fmt(y + row * 0.68)}" text-anchor="end" '
                     f'font-size="13">{escape(shown)}</text>')
        parts.append(f'<rect class="bar" x="{label_width}" y="{_fmt(y + 3)}" width="{_fmt(bar_w)}" '
                     f'height="{row - 6}"><title>{escape(label)}: {_grouped(value)}</title></rect>')
        parts.append(f'<text class="value" x="{_fmt(label_width + bar_w + 4)}" y="{_fmt(y + row * 0.68)}" '
                     f'font-size="13">{_grouped(value)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _axes(left: int, top: int, plot_w: float, plot_h: float, top_value: int) -> list[str]:
    bottom = top + plot_h
    parts = [f'<line class="axis" x1="{left}" y1="{_fmt(bottom)}" x2="{_fmt(left + plot_w)}" y2="{_fmt(bottom)}"/>']
    for fraction in (0, 0.5, 1):
        value = top_value * fraction
        if value != int(value):
            continue  # whole numbers only on the axis
        y = bottom - plot_h * fraction
        if fraction:
            parts.append(f'<line class="grid" x1="{left}" y1="{_fmt(y)}" x2="{_fmt(left + plot_w)}" y2="{_fmt(y)}"/>')
        parts.append(f'<text class="label" x="{left - 6}" y="{_fmt(y + 4)}" text-anchor="end" font-size="13">'
                     f"{_grouped(int(value))}</text>")
    return parts
