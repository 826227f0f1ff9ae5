"""SVG bar charts for the benchmark reports (docs/benchmarks.md, docs/package-benchmark.md).

Written by hand rather than with matplotlib so that `make bench` needs nothing beyond the
Python that runs it, and so that the files are small, diffable text that GitHub shows inline.
One chart = panels side by side, each with its own linear scale (figures that differ by 100x,
such as 1-row and 100-row requests, stay readable), bars in groups, an optional dashed line
across a panel (a ceiling such as the bare HTTP server), and a value written above each bar.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

FONT = 'font-family="Helvetica, Arial, sans-serif" font-size="12"'


@dataclass
class Bar:
    series: str  # the legend entry and colour
    value: float
    label: str  # written above the bar


@dataclass
class Panel:
    title: str
    groups: list[tuple[str, list[Bar]]]  # (label under the group, its bars)
    unit: str = ""
    line: tuple[str, float] | None = None  # (label, value): a dashed line across the panel


def nice_step(raw: float) -> float:
    """A tick step of 1, 2, 2.5 or 5 times a power of ten, at least `raw`."""
    if raw <= 0:
        return 1.0
    magnitude = 10 ** int(f"{raw:e}".split("e")[1])
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def tick_label(value: float, unit: str) -> str:
    if value >= 1_000_000:
        text = f"{value / 1_000_000:g}M"
    elif value >= 1_000:
        text = f"{value / 1_000:g}k"
    else:
        text = f"{value:g}"
    return f"{text} {unit}".strip()


def bar_chart(title: str, subtitle: str, panels: list[Panel], colours: dict[str, str],
              notes: list[str] = (), panel_width: int = 330) -> str:
    """Panels of grouped bars, a legend of the series in `colours`' order, notes at the foot."""
    panel_h, gap, left, top = 240, 60, 64, 64
    width = max(760, left + len(panels) * panel_width + (len(panels) - 1) * gap + 24)
    legend_y = top + panel_h + 64
    height = legend_y + 24 + 15 * len(notes) + 10
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" {FONT}>',
           f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
           f'<text x="{left}" y="24" font-size="16" font-weight="bold">{escape(title)}</text>',
           f'<text x="{left}" y="42" fill="#555">{escape(subtitle)}</text>']
    for index, panel in enumerate(panels):
        x0 = left + index * (panel_width + gap)
        values = [bar.value for _, bars in panel.groups for bar in bars]
        if panel.line:
            values.append(panel.line[1])
        step = nice_step(max(values + [0.0]) / 4)
        ceiling = step * (int(max(values + [0.0]) / step) + 1)
        scale = panel_h / ceiling
        base = top + panel_h
        out.append(f'<text x="{x0 + panel_width / 2}" y="{top - 6}" text-anchor="middle" '
                   f'font-size="13" font-weight="bold">{escape(panel.title)}</text>')
        tick = 0.0
        while tick <= ceiling + 1e-9:
            y = base - tick * scale
            out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + panel_width}" y2="{y:.1f}" '
                       f'stroke="#e3e3e3"/>')
            out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555" '
                       f'font-size="11">{escape(tick_label(tick, panel.unit))}</text>')
            tick += step
        out.append(f'<line x1="{x0}" y1="{base}" x2="{x0 + panel_width}" y2="{base}" stroke="#333"/>')
        slot = panel_width / max(1, len(panel.groups))
        for position, (group, bars) in enumerate(panel.groups):
            gx = x0 + slot * position
            bar_w = slot * 0.8 / max(1, len(bars))
            for number, bar in enumerate(bars):
                x = gx + slot * 0.1 + number * bar_w
                h = bar.value * scale
                out.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_w - 2:.1f}" '
                           f'height="{h:.1f}" fill="{colours[bar.series]}"><title>'
                           f'{escape(bar.series)}, {escape(group)}: {escape(bar.label)}</title></rect>')
                out.append(f'<text x="{x + bar_w / 2 - 1:.1f}" y="{base - h - 4:.1f}" '
                           f'text-anchor="middle" font-size="8">{escape(bar.label)}</text>')
            out.append(f'<text x="{gx + slot / 2:.1f}" y="{base + 16}" text-anchor="middle" '
                       f'font-size="11">{escape(group)}</text>')
        if panel.line:
            label, value = panel.line
            y = base - value * scale
            out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + panel_width}" y2="{y:.1f}" '
                       f'stroke="#000" stroke-dasharray="5,4"/>')
            out.append(f'<text x="{x0 + panel_width}" y="{y - 4:.1f}" text-anchor="end" '
                       f'font-size="10">{escape(label)}</text>')
    x = left
    for series, colour in colours.items():
        out.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{x + 16}" y="{legend_y}">{escape(series)}</text>')
        x += 24 + 7 * len(series)
    for offset, text in enumerate(notes):
        out.append(f'<text x="{left}" y="{legend_y + 22 + 15 * offset}" fill="#555" '
                   f'font-size="11">{escape(text)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
