"""The Insights page in process (TestClient): language choice, the offer to create missing
datasets, and the charts' arithmetic (percentiles, histogram bins, stacked flow)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request
from web_ui_helpers import Browser

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator
from backlog_connector.web.insight_charts import (
    FlowSeries,
    HistogramLabels,
    cumulative_flow_chart,
    cycle_time_histogram,
    percentile,
)
from backlog_connector.web.insights import language

LABELS = HistogramLabels("Cycle time", "days", "median", "85th pct.", "issues", "none")


def _request(query: str = "", accept: str = "") -> Request:
    headers = [(b"accept-language", accept.encode())] if accept else []
    return Request({"type": "http", "query_string": query.encode(), "headers": headers})


@pytest.mark.parametrize(
    ("query", "accept", "expected"),
    [
        ("", "", "en"),
        ("", "ja", "ja"),
        ("", "ja-JP,ja;q=0.9,en-US;q=0.8", "ja"),
        ("", "en-US,en;q=0.9,ja;q=0.8", "en"),
        ("", "fr-FR, ja;q=0.5, en;q=0.4", "ja"),
        ("", "en;q=0.2, ja;q=0.7", "ja"),
        ("", "ja;q=0, en", "en"),
        ("lang=en", "ja", "en"),
        ("lang=ja", "en", "ja"),
        ("lang=de", "ja", "ja"),
        ("", "garbage;;;q=x", "en"),
    ],
)
def test_language_follows_accept_language_unless_the_link_chose_one(
    query: str, accept: str, expected: str
) -> None:
    assert language(_request(query, accept)) == expected


def test_percentiles_interpolate_between_ranks() -> None:
    values = [float(v) for v in range(1, 11)]  # 1 .. 10
    assert percentile(values, 0.5) == pytest.approx(5.5)
    assert percentile(values, 0.85) == pytest.approx(8.65)
    assert percentile([3.0], 0.85) == 3.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)


def test_histogram_marks_median_and_85th_percentile_and_counts_every_issue() -> None:
    hours = [24.0 * d for d in (1, 1, 2, 3, 5, 8, 13, 21, 34, 200)]
    svg = str(cycle_time_histogram(hours, LABELS))
    assert "median 6.5" in svg  # days: the mean of 5 and 8
    assert f"85th pct. {percentile([h / 24 for h in hours], 0.85):.1f}" in svg
    counts = [int(n) for n in re.findall(r": (\d+) issues</title>", svg)]
    assert len(counts) == 20
    assert sum(counts) == len(hours)  # the long tail lands in the last bin
    assert str(cycle_time_histogram([], LABELS)).count("none") == 2  # label and text


def test_flow_areas_stack_in_status_order() -> None:
    days = [date(2026, 1, d) for d in (1, 2, 3)]
    svg = str(cumulative_flow_chart(
        days, [FlowSeries("Open", [2, 1, 0]), FlowSeries("Closed", [0, 1, 2])],
        empty="none", label="flow",
    ))  # fmt: skip
    assert svg.count("<polygon") == 2
    assert "Open: 0 (2026-01-03)" in svg
    assert "Closed: 2 (2026-01-03)" in svg
    # both statuses together are 2 every day: the top edge of the upper area is flat
    top = re.findall(r'<polygon points="([^"]+)" fill="#4488c5"', svg)[0].split()[:3]
    assert len({point.split(",")[1] for point in top}) == 1


def test_without_datasets_the_page_offers_to_create_them(
    browser: Browser, client: TestClient, plane: ControlPlane, emulator: Emulator
) -> None:
    page = browser.get("/insights")
    assert "Add a Backlog account first." in page.text
    plane.add_account("acme", base_url=emulator.base_url, api_key=emulator.api_keys["admin"])
    page = browser.get("/insights", headers={"accept-language": "ja"})
    assert '<html lang="ja">' in page.text
    assert "インサイト用のデータセットが足りません" in page.text
    created = browser.post("/insights/create", {"account": "acme", "lang": "ja"})
    assert created.status_code == 303
    assert created.headers["location"] == "/insights?account=acme&lang=ja"
    made = {d.name: d for d in plane.list_datasets()}
    assert set(made) == {"acme_cycle_times", "acme_cumulative_flow", "acme_throughput"}
    assert {d.schedule for d in made.values()} == {"every 1h"}
    page = browser.get("/insights?account=acme&lang=en")
    assert "insights-missing" not in page.text
    assert page.text.count("has not finished a run yet") == 3
    again = browser.post("/insights/create", {"account": "acme"})
    assert again.status_code == 303
    assert len(plane.list_datasets()) == 3  # nothing is created twice
    missing = browser.post("/insights/create", {"account": "nobody"})
    assert missing.status_code == 404
