"""Runs no job will ever finish do not hold their dataset for ever: the sweep fails a run
whose job ended without it, and one that never reached the queue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator
from backlog_connector.settings import Settings
from backlog_connector.workers.queue import RunQueue, ensure_schema
from backlog_connector.workers.tasks import UNQUEUED_SECONDS, settle_stuck_runs
from pgtools import scratch_database


@pytest.fixture
def cp(tmp_path: Path, emulator: Emulator) -> Iterator[ControlPlane]:
    with scratch_database("stuck") as url:
        db = url.replace("postgresql://", "postgresql+psycopg://", 1)
        with ControlPlane.open(settings=Settings(home=tmp_path, database_url=db)) as plane:
            key = emulator.api_keys["admin"]
            plane.add_account("acme", base_url=emulator.base_url, api_key=key)
            plane.create_dataset("Projects", account="acme", report="projects")
            ensure_schema(plane.engine)  # the task queue's tables, as serve and workers make them
            yield plane


def test_a_run_whose_job_ended_without_it_is_failed(cp: ControlPlane) -> None:
    queue = RunQueue(cp)
    try:
        run = queue.enqueue("Projects")
        assert run.queue_job_id is not None
        # the job is cancelled behind the run's back (as if its task had died before it ran)
        assert queue.app.job_manager.cancel_job_by_id(run.queue_job_id)
        assert cp.active_run("Projects") is not None
        assert settle_stuck_runs(cp) == 1
        settled = cp.get_run(run.id)
        assert settled.status == "failed"
        assert "job ended (cancelled)" in (settled.error or "")
        assert cp.active_run("Projects") is None
        assert queue.enqueue("Projects").status == "queued"  # the dataset runs again
        assert settle_stuck_runs(cp) == 0  # a waiting job is left alone
    finally:
        queue.close()


def test_a_run_that_never_reached_the_queue_is_failed_after_a_while(cp: ControlPlane) -> None:
    fresh = cp.queue_run("Projects")
    assert settle_stuck_runs(cp) == 0  # it may still be on its way to the queue
    with cp.engine.begin() as conn:
        conn.execute(
            sa.text("update runs set created_at = now() - make_interval(secs => :s) where id = :i"),
            {"s": UNQUEUED_SECONDS + 1, "i": fresh.id},
        )
    assert settle_stuck_runs(cp) == 1
    assert "never handed to the task queue" in (cp.get_run(fresh.id).error or "")
