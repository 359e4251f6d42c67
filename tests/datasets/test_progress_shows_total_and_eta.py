"""A run's progress has a total, a percentage and an ETA when the report knows how many issues
it walks (``issues/count``): the issues report, and ``comments`` / ``issue_status_history``
per issue walked (they showed "0 pages 0 rows" to the end). The figures reach the run's record
(``runs.progress``) in the documented shape, while it runs and after."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from rich.console import Console

from backlog_connector.cli import main
from backlog_connector.commands.progress import RunProgress
from backlog_connector.datasets.live_progress import PROGRESS_KEYS, LiveProgress, describe
from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator
from backlog_connector.reports.base import ProgressEvent


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_figures_follow_the_contract_with_rate_eta_and_the_budget_wait() -> None:
    clock = Clock()
    live = LiveProgress(clock)
    empty = live.snapshot()
    assert tuple(empty) == PROGRESS_KEYS
    assert empty == {"done": 0, "total": None, "unit": "rows", "rows": 0,
                     "rows_per_second": 0.0, "eta_seconds": None, "waiting": None,
                     "message": ""}  # fmt: skip
    live.feed(ProgressEvent("total", total=1000, unit="issues"))
    clock.now += 10
    live.feed(ProgressEvent("advance", done=250, rows=2500))
    figures = live.snapshot()
    assert (figures["done"], figures["total"], figures["unit"]) == (250, 1000, "issues")
    assert figures["rows"] == 2500
    assert figures["rows_per_second"] == 250.0
    assert figures["eta_seconds"] == 30.0  # 750 left at 25 a second
    live.feed(ProgressEvent("wait", wait_seconds=55.0, category="search", message="w"))
    clock.now += 5
    figures = live.snapshot()
    assert figures["waiting"] == {"seconds": 50.0, "category": "search"}
    assert figures["eta_seconds"] == 50.0 + 750 * 15 / 250  # the wait, then the pace so far
    assert "250 / 1,000 issues (25%)" in describe(figures)
    assert "waiting 50 s for the search rate budget" in describe(figures)
    clock.now += 60
    assert live.snapshot()["waiting"] is None  # the wait is over
    live.feed(ProgressEvent("advance", done=750, rows=9000))
    assert live.snapshot()["eta_seconds"] == 0.0
    assert live.snapshot(final=True)["eta_seconds"] is None


def test_a_report_without_a_total_counts_rows() -> None:
    clock = Clock()
    live = LiveProgress(clock)
    live.feed(ProgressEvent("page", rows=100, pages=1))
    clock.now += 2
    live.feed(ProgressEvent("page", rows=300, pages=2))
    figures = live.snapshot()
    assert (figures["done"], figures["total"], figures["unit"]) == (300, None, "rows")
    assert figures["rows_per_second"] == 150.0
    assert figures["eta_seconds"] is None


def _run_watching(
    plane: ControlPlane, name: str
) -> tuple[Any, list[ProgressEvent], list[dict[str, Any] | None]]:
    """Run ``name``; return the run, its events, and its record's progress as read from
    another thread while it ran (after the first event)."""
    queued = plane.queue_run(name)
    events: list[ProgressEvent] = []
    seen: list[dict[str, Any] | None] = []

    def look() -> None:
        seen.append(plane.get_run(queued.id).progress)

    def progress(_name: str, event: ProgressEvent) -> None:
        events.append(event)
        if len(events) == 2:
            reader = threading.Thread(target=look)
            reader.start()
            reader.join()

    (run,) = plane.execute_runs([queued.id], progress=progress)
    return run, events, seen


def test_an_issues_run_has_its_total_from_issues_count(
    plane: ControlPlane, acme: str, emulator: Emulator
) -> None:
    plane.create_dataset("Issues", account=acme, report="issues")
    run, events, seen = _run_watching(plane, "Issues")
    assert run.status == "succeeded", run.error
    issues = len(emulator.state.issues)
    totals = [e for e in events if e.kind == "total"]
    assert [(e.total, e.unit) for e in totals] == [(issues, "issues")]
    assert sum(e.done for e in events if e.kind == "advance") == issues
    # the record had the total while the run was under way
    assert seen[0] is not None
    assert seen[0]["total"] == issues
    final = run.progress
    assert final is not None
    assert tuple(final) == PROGRESS_KEYS
    assert (final["done"], final["total"], final["unit"]) == (issues, issues, "issues")
    assert final["rows"] == issues
    assert final["waiting"] is None


@pytest.mark.parametrize("report", ["comments", "issue_status_history"])
def test_comment_walks_count_the_issues_they_walk(
    plane: ControlPlane, make_emulator: Callable[..., Emulator], report: str
) -> None:
    emu = make_emulator(issues=40, projects=1)
    plane.add_account("small", base_url=emu.base_url, api_key=emu.api_keys["admin"])
    plane.create_dataset("Walk", account="small", report=report)
    run, events, _seen = _run_watching(plane, "Walk")
    assert run.status == "succeeded", run.error
    totals = [e.total for e in events if e.kind == "total"]
    assert totals == [40]
    advanced = [e for e in events if e.kind == "advance"]
    assert len(advanced) == 40  # one per issue walked, not "0 pages" to the end
    final = run.to_dict()["progress"]
    assert (final["done"], final["total"], final["unit"]) == (40, 40, "issues")
    assert final["rows"] == run.rows_read > 0


def test_the_cli_shows_done_of_total_with_a_percentage(tmp_path: Path, emulator: Emulator) -> None:
    env = {"BACKLOG_CONNECTOR_HOME": str(tmp_path / "home")}
    runner = CliRunner()

    def cli(*args: str) -> Result:
        result = runner.invoke(main, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    cli("accounts", "add", "acme", "--base-url", emulator.base_url,
        "--api-key", emulator.api_keys["admin"])  # fmt: skip
    cli("datasets", "create", "Issues", "--account", "acme", "--report", "issues")
    shown = cli("datasets", "run", "Issues").stderr
    issues = len(emulator.state.issues)
    assert f"{issues:,}/{issues:,} issues 100%" in shown
    assert "rows/s" in shown
    assert "succeeded" in shown


def test_the_cli_line_shows_rate_eta_and_the_wait() -> None:
    out = io.StringIO()
    display = RunProgress(["Issues"], Console(file=out, width=200, force_terminal=False))
    with display.shown():
        display("Issues", ProgressEvent("total", total=50_000, unit="issues"))
        display("Issues", ProgressEvent("advance", done=1_000, rows=1_000))
        display("Issues", ProgressEvent("wait", wait_seconds=55.0, category="search"))
    text = out.getvalue()
    assert "1,000/50,000 issues   2%" in text
    assert "waiting 55 s for the search rate budget" in text
