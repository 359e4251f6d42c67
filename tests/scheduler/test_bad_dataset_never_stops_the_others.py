"""One dataset whose next due time cannot be computed is logged and skipped; the others run."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

import pytest
from sched_helpers import Clock, wait_idle

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator
from backlog_connector.scheduler.loop import Scheduler


def test_tick_skips_an_unusable_dataset_and_runs_the_others(
    plane: ControlPlane, space: Emulator, clock: Clock,
    make_scheduler: Callable[..., Scheduler], caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    plane.add_account("acme", base_url=space.base_url, api_key=space.api_keys["admin"])
    # "A" sorts first, so a tick that stops at the first failure never reaches "Z Good".
    for name in ("A Overflow", "B Lost Zone", "Z Good"):
        plane.create_dataset(name, account="acme", report="projects", schedule="every 10s")
    with sqlite3.connect(plane.home / "control.sqlite") as db:
        db.execute("UPDATE datasets SET schedule = 'every 99999999999h' WHERE name = 'A Overflow'")
        db.execute("UPDATE datasets SET timezone = 'Mars/Olympus', schedule = 'daily 09:00'"
                   " WHERE name = 'B Lost Zone'")  # fmt: skip
    sched = make_scheduler(state_path=None)
    with caplog.at_level(logging.WARNING, logger="backlog_connector.scheduler"):
        for _ in range(3):
            sched.tick()
            wait_idle(sched, "Z Good")
            clock.advance(10)
    assert [r.status for r in plane.history("Z Good")] == ["succeeded"] * 3
    assert plane.history("A Overflow") == []
    assert plane.history("B Lost Zone") == []
    problems = [r.getMessage() for r in caplog.records if "is not scheduled" in r.getMessage()]
    assert len(problems) == 2, problems  # logged once each, not at every tick
    status = {s.dataset: s for s in sched.status()}
    assert status["Z Good"].problem is None
    assert status["A Overflow"].problem
    assert status["B Lost Zone"].problem
