"""Small charts drawn on the server as inline SVG (no JavaScript, no chart library)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from markupsafe import Markup

ROWS_COLOUR = "#42ce9f"
CHILD_COLOUR = "#a7e9d2"  # the child tables' part of a bar, stacked on the main table's
FAILED_COLOUR = "#c0392b"
DURATION_COLOUR = "#3b78c4"


@dataclass(frozen=True)
class RunPoint:
    """What the run chart needs of one run."""

    run_id: int
    status: str
    rows: int
    seconds: float | None
    when: datetime | None
    rows_child: int = 0  # of ``rows``, those written to the child tables


#: date labels along the x axis at most
X_LABELS = 6


def _x_labels(points: Sequence[RunPoint]) -> list[tuple[int, str]]:
    """(index, label) of up to ``X_LABELS`` runs spread over the axis, first and last
    included: dates when the runs span days, else day and time (UTC)."""
    dated = [p.when for p in points if p.when is not None]
    if not dated:
        return []
    span = max(dated) - min(dated)
    shape = "%Y-%m-%d" if span.days >= 2 else "%m-%d %H:%M"
    count = min(len(points), X_LABELS)
    picks = sorted({round(i * (len(points) - 1) / max(count - 1, 1)) for i in range(count)})
    labels: list[tuple[int, str]] = []
    for index in picks:
        when = points[index].when
        if when is not None:
            labels.append((index, when.strftime(shape)))
    return labels


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1) if value >= 1 else 1.0
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def _short(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1_000:
        return f"{value / 1_000:g}k"
    return f"{value:g}"


def runs_chart(points: Sequence[RunPoint], *, width: int = 1000, height: int = 190) -> Markup:
    """Bars of rows written per run (the child tables' share stacked in a lighter colour) and
    a line of run duration, oldest run on the left, the runs' dates along the x axis.

    Failed and cancelled runs show as short red bars so that gaps are visible; every bar has a
    tooltip (an SVG ``<title>``) with the run's figures.
    """
    left, right, top, bottom = 44, 44, 10, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    rows_max = _nice_max(max((p.rows for p in points), default=0))
    secs_max = _nice_max(max((p.seconds or 0.0 for p in points), default=0.0))
    slot = plot_w / max(len(points), 1)
    bar_w = max(min(slot * 0.7, 28.0), 1.0)
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Rows written and duration of the last {len(points)} runs">'
    ]
    for i in range(5):  # horizontal grid with both axes' labels
        y = top + plot_h - plot_h * i / 4
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
            f'stroke="#e1e5ea" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end" '
            f'fill="#616e7c">{_short(rows_max * i / 4)}</text>'
            f'<text x="{left + plot_w + 6}" y="{y + 4:.1f}" font-size="10" fill="#616e7c">'
            f"{_short(secs_max * i / 4)}s</text>"
        )
    line: list[str] = []
    for i, p in enumerate(points):
        x = left + slot * i + (slot - bar_w) / 2
        failed = p.status in ("failed", "cancelled")
        h = plot_h * p.rows / rows_max if rows_max else 0.0
        if failed:
            h = max(h, 4.0)
        h = max(h, 1.0) if p.status == "succeeded" else h
        when = p.when.strftime("%Y-%m-%d %H:%M") if p.when else ""
        secs = f"{p.seconds:.1f} s" if p.seconds is not None else "unfinished"
        split = ""
        if p.rows_child:
            split = f" ({p.rows - p.rows_child:,} main table, {p.rows_child:,} child tables)"
        tip = escape(f"Run {p.run_id} ({p.status}) {when}: {p.rows:,} rows{split}, {secs}")
        colour = FAILED_COLOUR if failed else ROWS_COLOUR
        out.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" '
            f'height="{h:.1f}" rx="2" fill="{colour}"><title>{tip}</title></rect>'
        )
        if p.rows_child and not failed and rows_max:
            child_h = min(h, plot_h * p.rows_child / rows_max)
            out.append(
                f'<rect class="child" x="{x:.1f}" y="{top + plot_h - h:.1f}" '
                f'width="{bar_w:.1f}" height="{child_h:.1f}" fill="{CHILD_COLOUR}">'
                f"<title>{tip}</title></rect>"
            )
        if p.seconds is not None:
            cy = top + plot_h - plot_h * p.seconds / secs_max
            line.append(f"{x + bar_w / 2:.1f},{cy:.1f}")
    if len(line) > 1:
        out.append(
            f'<polyline points="{" ".join(line)}" fill="none" stroke="{DURATION_COLOUR}" '
            f'stroke-width="2" stroke-linejoin="round"/>'
        )
    for point in line:
        x_text, y_text = point.split(",")
        out.append(f'<circle cx="{x_text}" cy="{y_text}" r="2.5" fill="{DURATION_COLOUR}"/>')
    out.append('<g class="x-axis">')
    labels = _x_labels(points)
    for n, (index, label) in enumerate(labels):
        centre = left + slot * index + slot / 2
        anchor = "middle"
        if len(labels) > 1 and n == 0:
            anchor, centre = "start", max(centre - bar_w / 2, float(left))
        elif len(labels) > 1 and n == len(labels) - 1:
            anchor, centre = "end", min(centre + bar_w / 2, float(left + plot_w))
        out.append(
            f'<line x1="{left + slot * index + slot / 2:.1f}" y1="{top + plot_h}" '
            f'x2="{left + slot * index + slot / 2:.1f}" y2="{top + plot_h + 4}" '
            f'stroke="#9aa5b1" stroke-width="1"/>'
            f'<text x="{centre:.1f}" y="{top + plot_h + 16}" font-size="10" fill="#616e7c" '
            f'text-anchor="{anchor}">{escape(label)}</text>'
        )
    if labels:
        out.append(
            f'<text x="{left + plot_w + 6}" y="{top + plot_h + 16}" font-size="9" '
            f'fill="#9aa5b1">UTC</text>'
        )
    out.append("</g></svg>")
    return Markup("".join(out))  # noqa: S704 - built from numbers and escaped text only
