"""Waits for the rate budget reach the progress callback (and the CLI's display) as waits."""

from __future__ import annotations

import io
from collections.abc import Callable

from rich.console import Console

from backlog_connector.commands.progress import RunProgress
from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator
from backlog_connector.reports.base import ProgressEvent


def test_budget_waits_are_reported(
    plane: ControlPlane, make_emulator: Callable[..., Emulator]
) -> None:
    emu = make_emulator(plan="free", minute_seconds=1.5, issues=2000, projects=1)
    plane.add_account("free", base_url=emu.base_url, api_key=emu.api_keys["admin"])
    plane.create_dataset("Issues", account="free", report="issues")
    events: list[ProgressEvent] = []
    (run,) = plane.run_datasets(["Issues"], progress=lambda _name, e: events.append(e))
    assert run.status == "succeeded", run.error
    assert run.table_rows == 2000
    assert run.rate_limited == 0  # paced, not throttled
    assert run.requests["search"] > 15  # more than one window's budget on the free plan
    waits = [e for e in events if e.kind == "wait"]
    assert waits, [e.kind for e in events]
    assert run.wait_seconds > 0
    assert "rate budget" in waits[0].message
    assert waits[0].category == "search"  # the web banner says which budget
    pages = [e for e in events if e.kind == "page"]
    assert pages[-1].rows >= 2000


def test_display_shows_pages_rows_and_waits() -> None:
    out = io.StringIO()
    display = RunProgress(["Issues"], Console(file=out, width=120, force_terminal=False))
    with display.shown():
        display("Issues", ProgressEvent("page", rows=100, pages=1))
        display("Issues", ProgressEvent("page", rows=200, pages=2))
        display("Issues", ProgressEvent("wait", wait_seconds=4.0, message="w"))
        display("Other", ProgressEvent("page", rows=5))  # not shown: unknown name
    text = out.getvalue()
    assert "2 pages" in text
    assert "200 rows" in text
    assert "waiting 4 s for the rate budget" in text
    display.finish("Issues", "succeeded")
