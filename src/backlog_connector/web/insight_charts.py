"""The Insights page's charts, drawn on the server as inline SVG like ``charts.runs_chart``.

Each chart has a narrow view box (360 units wide), so that its text stays about 10-11 px on a
390 px phone and grows with the card on a wide screen. Labels come in already translated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from markupsafe import Markup

from backlog_connector.web.charts import _nice_max, _short

WIDTH = 360
GRID = "#e1e5ea"
INK = "#616e7c"
#: one colour per status position (Backlog's own status colours first)
PALETTE = ("#ed8077", "#4488c5", "#5eb5a6", "#b0be3c", "#eda62a", "#868cb7", "#e07b9a",
           "#3b9dbd", "#393939", "#ea2c00")  # fmt: skip
CREATED_COLOUR = "#4488c5"
RESOLVED_COLOUR = "#42ce9f"
OPEN_COLOUR = "#c0392b"
BAR_COLOUR = "#3b78c4"


def _done(out: list[str], height: float, label: str) -> Markup:
    """The SVG of the drawn parts ``out``, ``height`` units high."""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'role="img" aria-label="{escape(label)}" font-family="system-ui, sans-serif">'
    )
    return Markup(head + "".join(out) + "</svg>")  # noqa: S704 - numbers and escaped text only


def _grid(out: list[str], left: float, top: float, w: float, h: float, top_value: float) -> None:
    for i in range(5):
        y = top + h - h * i / 4
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + w}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 4}" y="{y + 3.5:.1f}" font-size="11" text-anchor="end" '
            f'fill="{INK}">{_short(top_value * i / 4)}</text>'
        )


def _legend(out: list[str], items: Sequence[tuple[str, str]], y: float) -> float:
    """Legend entries (colour, label) wrapped over as many lines as they need; returns the
    y below the last line."""
    x = 8.0
    for colour, label in items:
        width = 16 + 6.6 * len(label) * (1.8 if not label.isascii() else 1.0)
        if x + width > WIDTH - 4 and x > 8:
            x, y = 8.0, y + 15
        out.append(
            f'<rect x="{x:.1f}" y="{y - 8:.1f}" width="9" height="9" rx="2" fill="{colour}"/>'
            f'<text x="{x + 12:.1f}" y="{y:.1f}" font-size="11.5" fill="{INK}">'
            f"{escape(label)}</text>"
        )
        x += width + 8
    return y + 15


def _empty(height: int, text: str) -> Markup:
    out = [
        f'<text x="{WIDTH / 2}" y="{height / 2}" font-size="12" text-anchor="middle" '
        f'fill="{INK}">{escape(text)}</text>'
    ]
    return _done(out, height, text)


@dataclass(frozen=True)
class FlowSeries:
    """One status of the cumulative flow: its name and its count per day."""

    name: str
    counts: Sequence[int]


def cumulative_flow_chart(
    days: Sequence[date], series: Sequence[FlowSeries], *, empty: str, label: str
) -> Markup:
    """Stacked areas, one per status (first status at the bottom), days left to right."""
    if not days or not series:
        return _empty(120, empty)
    left, top, plot_w, plot_h = 34.0, 8.0, WIDTH - 42.0, 150.0
    totals = [sum(s.counts[i] for s in series) for i in range(len(days))]
    top_value = _nice_max(max(totals, default=0))
    out: list[str] = []
    _grid(out, left, top, plot_w, plot_h, top_value)

    def x(i: int) -> float:
        return left + (plot_w * i / (len(days) - 1) if len(days) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / top_value

    base = [0] * len(days)
    for n, s in enumerate(series):
        upper = [b + c for b, c in zip(base, s.counts, strict=True)]
        if any(s.counts):
            points = [f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(upper)]
            points += [f"{x(i):.1f},{y(base[i]):.1f}" for i in range(len(days) - 1, -1, -1)]
            tip = escape(f"{s.name}: {s.counts[-1]:,} ({days[-1].isoformat()})")
            out.append(
                f'<polygon points="{" ".join(points)}" fill="{PALETTE[n % len(PALETTE)]}" '
                f'fill-opacity="0.9"><title>{tip}</title></polygon>'
            )
        base = upper
    axis_y = top + plot_h + 13
    out.append(
        f'<text x="{left}" y="{axis_y}" font-size="11" fill="{INK}">{days[0].isoformat()}</text>'
        f'<text x="{left + plot_w}" y="{axis_y}" font-size="11" fill="{INK}" '
        f'text-anchor="end">{days[-1].isoformat()}</text>'
    )
    items = [(PALETTE[n % len(PALETTE)], s.name) for n, s in enumerate(series)]
    return _done(out, _legend(out, items, axis_y + 18), label)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` by linear interpolation between ranks."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    rank = q * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class HistogramLabels:
    """The words of the cycle-time histogram."""

    title: str
    days: str
    median: str
    p85: str
    issues: str
    empty: str


def cycle_time_histogram(hours: Sequence[float], labels: HistogramLabels) -> Markup:
    """Issues per cycle-time bin (in days), with the median and the 85th percentile marked."""
    if not hours:
        return _empty(120, labels.empty)
    days = [h / 24 for h in hours]
    median, p85 = percentile(days, 0.5), percentile(days, 0.85)
    span = max(percentile(days, 0.98), p85 * 1.2, 1.0)
    bins = 20
    width = _nice_max(span / bins)
    counts = [0] * bins
    for d in days:
        counts[min(int(d // width), bins - 1)] += 1  # the last bin holds the long tail
    left, top, plot_w, plot_h = 34.0, 22.0, WIDTH - 42.0, 140.0
    top_value = _nice_max(max(counts))
    out: list[str] = []
    _grid(out, left, top, plot_w, plot_h, top_value)
    slot = plot_w / bins
    for i, n in enumerate(counts):
        h = plot_h * n / top_value
        low, high = i * width, (i + 1) * width
        more = "+" if i == bins - 1 else ""
        tip = escape(f"{low:g}-{high:g}{more} {labels.days}: {n:,} {labels.issues}")
        out.append(
            f'<rect x="{left + slot * i + 0.5:.1f}" y="{top + plot_h - h:.1f}" '
            f'width="{slot - 1:.1f}" height="{h:.1f}" fill="{BAR_COLOUR}">'
            f"<title>{tip}</title></rect>"
        )
    scale = plot_w / (bins * width)
    for value, name, colour, anchor in (
        (median, labels.median, "#1f2933", "end"),
        (p85, labels.p85, OPEN_COLOUR, "start"),
    ):
        mx = left + min(value, bins * width) * scale
        text = f"{name} {value:.1f}"
        guess = 6.4 * len(text) * (1.0 if text.isascii() else 1.6)
        if anchor == "end" and mx - guess < 2:
            anchor = "start"
        elif anchor == "start" and mx + guess > WIDTH - 2:
            anchor = "end"
        dx = -3 if anchor == "end" else 3
        out.append(
            f'<line x1="{mx:.1f}" y1="{top - 4}" x2="{mx:.1f}" y2="{top + plot_h}" '
            f'stroke="{colour}" stroke-width="1.5" stroke-dasharray="4 3"/>'
            f'<text x="{mx + dx:.1f}" y="{top - 8}" font-size="11.5" fill="{colour}" '
            f'text-anchor="{anchor}">{escape(text)}</text>'
        )
    axis_y = top + plot_h + 13
    for i in range(0, bins + 1, 5):
        anchor = "end" if i == bins else "middle"
        out.append(
            f'<text x="{left + slot * i:.1f}" y="{axis_y}" font-size="11" fill="{INK}" '
            f'text-anchor="{anchor}">{i * width:g}</text>'
        )
    out.append(
        f'<text x="{left + plot_w}" y="{axis_y + 14}" font-size="11" fill="{INK}" '
        f'text-anchor="end">{escape(labels.days)}</text>'
    )
    return _done(out, axis_y + 20, labels.title)


@dataclass(frozen=True)
class Week:
    """One week of throughput."""

    start: date
    created: int
    resolved: int
    open_at_end: int


def throughput_chart(weeks: Sequence[Week], names: Mapping[str, str], *, empty: str) -> Markup:
    """Per week: created and resolved bars side by side, and a line of open issues at the
    week's end (its own scale on the right). ``names``: created, resolved, open, title."""
    if not weeks:
        return _empty(120, empty)
    left, top, plot_w, plot_h = 30.0, 8.0, WIDTH - 62.0, 140.0
    bar_max = _nice_max(max(max(w.created, w.resolved) for w in weeks))
    open_max = _nice_max(max(w.open_at_end for w in weeks))
    out: list[str] = []
    _grid(out, left, top, plot_w, plot_h, bar_max)
    for i in range(5):
        y = top + plot_h - plot_h * i / 4
        out.append(
            f'<text x="{left + plot_w + 4}" y="{y + 3.5:.1f}" font-size="11" '
            f'fill="{OPEN_COLOUR}">{_short(open_max * i / 4)}</text>'
        )
    slot = plot_w / len(weeks)
    bar = max(slot * 0.4, 0.6)
    line: list[str] = []
    for i, w in enumerate(weeks):
        x = left + slot * i + (slot - 2 * bar) / 2
        tip = escape(
            f"{w.start.isoformat()}: {names['created']} {w.created:,}, "
            f"{names['resolved']} {w.resolved:,}, {names['open']} {w.open_at_end:,}"
        )
        for k, (value, colour) in enumerate(
            ((w.created, CREATED_COLOUR), (w.resolved, RESOLVED_COLOUR))
        ):
            h = plot_h * value / bar_max
            out.append(
                f'<rect x="{x + k * bar:.2f}" y="{top + plot_h - h:.1f}" width="{bar:.2f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{tip}</title></rect>'
            )
        line.append(f"{x + bar:.1f},{top + plot_h - plot_h * w.open_at_end / open_max:.1f}")
    out.append(
        f'<polyline points="{" ".join(line)}" fill="none" stroke="{OPEN_COLOUR}" '
        f'stroke-width="1.8" stroke-linejoin="round"/>'
    )
    axis_y = top + plot_h + 13
    out.append(
        f'<text x="{left}" y="{axis_y}" font-size="11" fill="{INK}">'
        f"{weeks[0].start.isoformat()}</text>"
        f'<text x="{left + plot_w}" y="{axis_y}" font-size="11" fill="{INK}" '
        f'text-anchor="end">{weeks[-1].start.isoformat()}</text>'
    )
    items = [
        (CREATED_COLOUR, names["created"]),
        (RESOLVED_COLOUR, names["resolved"]),
        (OPEN_COLOUR, names["open"]),
    ]
    return _done(out, _legend(out, items, axis_y + 18), names["title"])


def assignee_bars(counts: Sequence[tuple[str, int]], *, empty: str, label: str) -> Markup:
    """Horizontal bars: open issues per assignee, most first (names on their own line so long
    Japanese names fit a phone)."""
    if not counts:
        return _empty(80, empty)
    top_value = _nice_max(max(n for _name, n in counts))
    row = 30.0
    height = 8 + row * len(counts)
    out: list[str] = []
    for i, (name, n) in enumerate(counts):
        y = 8 + row * i
        w = (WIDTH - 60) * n / top_value
        out.append(
            f'<text x="4" y="{y + 9:.1f}" font-size="12" fill="#1f2933">{escape(name)}</text>'
            f'<rect x="4" y="{y + 13:.1f}" width="{max(w, 1.5):.1f}" height="10" rx="2" '
            f'fill="{BAR_COLOUR}"><title>{escape(name)}: {n:,}</title></rect>'
            f'<text x="{w + 10:.1f}" y="{y + 22:.1f}" font-size="11.5" fill="{INK}">{n:,}</text>'
        )
    return _done(out, height, label)
