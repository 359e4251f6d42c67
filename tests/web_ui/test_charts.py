"""The run chart: inline SVG drawn on the server."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from backlog_connector.web.charts import FAILED_COLOUR, ROWS_COLOUR, RunPoint, runs_chart


def test_one_bar_per_run_scaled_to_rows_and_a_duration_line() -> None:
    when = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    points = [
        RunPoint(1, "succeeded", 1000, 2.0, when),
        RunPoint(2, "failed", 0, 0.5, when),
        RunPoint(3, "succeeded", 500, 4.0, when),
    ]
    svg = str(runs_chart(points))
    bars = re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" rx="2" '
                      r'fill="(#\w+)"><title>([^<]*)</title>', svg)  # fmt: skip
    assert [b[2] for b in bars] == [ROWS_COLOUR, FAILED_COLOUR, ROWS_COLOUR]
    heights = [float(b[1]) for b in bars]
    assert heights[0] == 2 * heights[2]  # 1000 rows vs 500 on the same axis
    assert heights[1] > 0  # a failed run stays visible
    assert "Run 2 (failed) 2026-01-02 03:04: 0 rows, 0.5 s" in bars[1][3]
    assert len(re.findall(r"<circle ", svg)) == 3
    assert "<polyline" in svg


def test_titles_are_escaped_and_an_empty_history_still_draws() -> None:
    svg = str(runs_chart([RunPoint(7, "<b>odd</b>", 3, None, None)]))
    assert "<b>" not in svg
    assert "&lt;b&gt;odd&lt;/b&gt;" in svg
    assert str(runs_chart([])).startswith("<svg")


def test_the_x_axis_has_the_runs_dates_and_child_rows_stack_on_the_main_rows() -> None:
    day = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    points = [
        RunPoint(i, "succeeded", 1000, 1.0, day.replace(day=1 + i), rows_child=400)
        for i in range(10)
    ]
    svg = str(runs_chart(points))
    assert "oldest" not in svg
    assert "latest" not in svg
    axis = svg.split('<g class="x-axis">')[1]
    labels = re.findall(r">(\d{4}-\d{2}-\d{2})</text>", axis)
    assert labels[0] == "2026-03-01"
    assert labels[-1] == "2026-03-10"
    assert 2 < len(labels) <= 6
    children = re.findall(r'<rect class="child" [^>]* height="([\d.]+)"', svg)
    mains = re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)" rx="2"', svg)
    assert len(children) == len(mains) == 10
    assert abs(float(children[0]) - 0.4 * float(mains[0])) < 0.2  # 400 of the 1,000 rows
    assert "1,000 rows (600 main table, 400 child tables)" in svg


def test_runs_of_one_day_are_labelled_with_day_and_time() -> None:
    start = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    points = [RunPoint(1, "succeeded", 5, 1.0, start),
              RunPoint(2, "succeeded", 5, 1.0, start.replace(hour=15, minute=5))]  # fmt: skip
    axis = str(runs_chart(points)).split('<g class="x-axis">')[1]
    assert re.findall(r">([^<]+)</text>", axis) == ["03-01 09:30", "03-01 15:05", "UTC"]
