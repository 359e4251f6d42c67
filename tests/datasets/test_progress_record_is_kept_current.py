"""A run's record holds its latest progress within a second, even when no event follows (the
last page before a long quiet stretch), and a wait for the rate budget at once."""

from __future__ import annotations

import threading
import time
from typing import Any

from backlog_connector.datasets.progress_record import RecordedProgress
from backlog_connector.reports.base import ProgressEvent


def test_the_last_events_are_saved_without_a_next_one_and_waits_at_once() -> None:
    saved: list[dict[str, Any]] = []
    arrived = threading.Event()

    def save(data: dict[str, Any]) -> None:
        saved.append(data)
        arrived.set()

    recorded = RecordedProgress(save, every=0.3)
    recorded("d", ProgressEvent("total", total=10, unit="issues"))
    assert saved[-1]["total"] == 10  # the first event: at once
    recorded("d", ProgressEvent("advance", done=1, rows=1))
    assert saved[-1]["done"] == 1  # the first of the walk: at once
    arrived.clear()
    recorded("d", ProgressEvent("advance", done=2, rows=3))  # too soon: saved a bit later
    assert saved[-1]["done"] == 1
    assert arrived.wait(2.0)
    assert saved[-1]["done"] == 3
    recorded("d", ProgressEvent("wait", wait_seconds=5.0, category="search"))
    assert saved[-1]["waiting"]["category"] == "search"
    count = len(saved)
    recorded("d", ProgressEvent("advance", done=7, rows=10))
    final = recorded.final()
    time.sleep(0.5)
    assert len(saved) == count  # nothing is written once the run is over
    assert (final["done"], final["waiting"], final["eta_seconds"]) == (10, None, None)
