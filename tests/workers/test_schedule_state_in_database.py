"""The scheduler tick with runs on workers: due times and pending retries live in the control
plane's database, so any replica (or a restarted one) carries on where another left off."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator
from backlog_connector.settings import SchedulerSettings, Settings
from backlog_connector.workers.queue import RunQueue
from backlog_connector.workers.tasks import after_failure
from backlog_connector.workers.tick import run_tick
from pgtools import scratch_database

T0 = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    with scratch_database("tick") as url:
        yield Settings(
            home=tmp_path, database_url=url.replace("postgresql://", "postgresql+psycopg://", 1),
            scheduler=SchedulerSettings(min_interval_seconds=1),
        )  # fmt: skip


def _plane(settings: Settings, emulator: Emulator) -> ControlPlane:
    cp = ControlPlane.open(settings=settings)
    if not cp.list_accounts():
        cp.add_account("acme", base_url=emulator.base_url, api_key=emulator.api_keys["admin"])
        cp.create_dataset("Projects", account="acme", report="projects", schedule="every 10s",
                          retries=2, retry_interval="30s")  # fmt: skip
    return cp


def test_due_times_and_skips_come_from_the_database(settings: Settings, emulator: Emulator) -> None:
    with _plane(settings, emulator) as cp:
        queue = RunQueue(cp)
        try:
            (first,) = run_tick(cp, queue, T0)
            assert (first.trigger, first.status, first.attempt) == ("schedule", "queued", 1)
            assert first.queue_job_id is not None
            assert run_tick(cp, queue, T0 + timedelta(seconds=5)) == []  # not due yet
        finally:
            queue.close()
    # another process (a second replica, or this one restarted) sees the same due time
    with _plane(settings, emulator) as cp:
        state = cp.schedule_states()["Projects"]
        assert state.last_due == T0
        queue = RunQueue(cp)
        try:
            # due again while the first run still waits for a worker: skipped, not queued
            assert run_tick(cp, queue, T0 + timedelta(seconds=10)) == []
            skipped = cp.history("Projects")[0]
            assert skipped.status == "skipped"
            assert "still running" in (skipped.error or "")
        finally:
            queue.close()


def test_a_pending_retry_survives_the_process_and_runs_when_due(
    settings: Settings, emulator: Emulator
) -> None:
    with _plane(settings, emulator) as cp:
        cp.update_dataset("Projects", schedule="manual")
        failed = cp.record_run("Projects", trigger="manual", status="failed", error="boom")
        after_failure(cp, dataclasses.replace(failed, error_action="retry_later"))
        retry_at = cp.schedule_states()["Projects"].retry_at
        assert retry_at is not None
    with _plane(settings, emulator) as cp:
        state = cp.schedule_states()["Projects"]
        assert (state.retry_at, state.retry_attempt) == (retry_at, 2)
        queue = RunQueue(cp)
        try:
            assert run_tick(cp, queue, retry_at - timedelta(seconds=1)) == []
            (retry,) = run_tick(cp, queue, retry_at)
            assert (retry.trigger, retry.attempt, retry.status) == ("retry", 2, "queued")
            assert cp.schedule_states()["Projects"].retry_at is None
        finally:
            queue.close()


def test_a_paused_dataset_drops_its_pending_retry(settings: Settings, emulator: Emulator) -> None:
    with _plane(settings, emulator) as cp:
        cp.set_retry("Projects", T0 + timedelta(seconds=30), 2)
        cp.update_dataset("Projects", enabled=False)
        queue = RunQueue(cp)
        try:
            assert run_tick(cp, queue, T0 + timedelta(seconds=60)) == []
        finally:
            queue.close()
        assert cp.schedule_states()["Projects"].retry_at is None
