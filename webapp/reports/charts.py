"""Bar charts drawn on the server as SVG: no script, no outside service, readable at 375 px (the drawing
scales to its box) and printed as they are. Every chart is followed by its numbers as a table."""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 46
COLOURS = ("#2f6db5", "#e08a1e", "#5a9e4b", "#a24a8c", "#7b7f86")


def _nice(top: float) -> float:
    """The axis maximum: four steps of a round size (1, 2 or 5 times a power of ten, at least 1: the
    charts count things, so every grid line is a whole number) reaching `top`."""
    wanted = max(top / 4, 1)
    power = 10 ** math.floor(math.log10(wanted))
    return 4 * next(step * power for step in (1, 2, 5, 10) if step * power >= wanted)


def bars(title: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[float]]],
         number: Callable[[float], str] = str) -> Markup:
    """Grouped bars: one group per category (a week, a status...), one bar per series, a legend below."""
    top = _nice(max((value for _name, values in series for value in values), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group = plot_w / max(1, len(categories))
    bar = max(1.0, group * 0.8 / max(1, len(series)))
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for k in range(5):  # grid lines and the axis's numbers
        value = top * k / 4
        y = TOP + plot_h - plot_h * k / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{escape(number(value))}</text>')
    every = max(1, math.ceil(len(categories) / 12))  # at most a dozen labels under the axis
    for n, category in enumerate(categories):
        x0 = LEFT + group * n + group * 0.1
        for s, (name, values) in enumerate(series):
            value = values[n]
            h = plot_h * value / top
            parts.append(f'<rect x="{x0 + bar * s:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                         f'fill="{COLOURS[s % len(COLOURS)]}"><title>{escape(category)}: {escape(name)} '
                         f'{escape(number(value))}</title></rect>')
        if n % every == 0:
            parts.append(f'<text x="{LEFT + group * n + group / 2:.1f}" y="{TOP + plot_h + 14}" '
                         f'text-anchor="middle">{escape(category)}</text>')
    x = LEFT
    for s, (name, _values) in enumerate(series):  # the legend
        parts.append(f'<rect x="{x}" y="{HEIGHT - 16}" width="10" height="10" fill="{COLOURS[s % len(COLOURS)]}"/>'
                     f'<text x="{x + 14}" y="{HEIGHT - 7}">{escape(name)}</text>')
        x += 24 + 8 * len(name)
    parts.append("</svg>")
    return Markup("".join(parts))
