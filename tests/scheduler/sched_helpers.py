"""Helpers for the scheduler tests (imported by conftest and the tests)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.scheduler.loop import Scheduler
from backlog_connector.settings import SchedulerSettings, Settings


class Clock:
    """A clock that moves only when the test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def open_plane(home: Path) -> ControlPlane:
    settings = Settings(home=home, scheduler=SchedulerSettings(min_interval_seconds=1))
    return ControlPlane.open(settings=settings)


def wait_idle(sched: Scheduler, dataset: str, timeout: float = 30.0) -> None:
    """Wait until ``dataset`` has no queued or running job."""
    deadline = time.monotonic() + timeout
    while sched.active_job(dataset) is not None:
        if time.monotonic() > deadline:
            raise AssertionError(f"{dataset} still running after {timeout} s")
        time.sleep(0.02)


def wait_running(plane: ControlPlane, dataset: str, timeout: float = 15.0) -> None:
    """Wait until the dataset's newest run is recorded as running."""
    deadline = time.monotonic() + timeout
    while True:
        runs = plane.history(dataset, limit=1)
        if runs and runs[0].status == "running":
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{dataset} did not start running within {timeout} s")
        time.sleep(0.02)


class Hooks:
    """What a loopback webhook receiver got."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.received: list[dict[str, Any]] = []
