"""At-least-once delivery: a job delivered again while its run is still marked running (its
worker was killed; the job handed back to the queue) does not fail for its run no longer being
``queued``: the old run is failed with that reason and a new attempt runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cluster import Proc, cluster_env, poll, start_worker

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator, EmulatorConfig
from backlog_connector.settings import Settings
from backlog_connector.workers.queue import RunQueue
from pgtools import scratch_database


@pytest.fixture
def space() -> Iterator[Emulator]:
    with Emulator(EmulatorConfig(seed=2, projects=2, issues=800, plan="paid")) as emu:
        yield emu


@pytest.mark.slow
def test_a_job_delivered_again_fails_the_old_run_and_runs_a_new_attempt(
    space: Emulator, tmp_path: Path
) -> None:
    procs: list[Proc] = []
    with scratch_database("redeliver") as control, scratch_database("redest") as dest:
        db = control.replace("postgresql://", "postgresql+psycopg://", 1)
        env = cluster_env(tmp_path / "home", db)
        settings = Settings(home=tmp_path / "home", database_url=db,
                            secret_key=env["BACKLOG_CONNECTOR_SECRET_KEY"])  # fmt: skip
        with ControlPlane.open(settings=settings) as cp:
            cp.add_account("acme", base_url=space.base_url, api_key=space.api_keys["admin"])
            cp.add_destination("pg", dest)
            cp.create_dataset("Issues", account="acme", report="issues", destination="pg")
            queue = RunQueue(cp)
            try:
                first = start_worker(env, tmp_path / "logs", "worker-1")
                procs.append(first)
                space.set_faults(slow=1.0, slow_seconds=0.3)
                run = queue.enqueue("Issues")
                assert run.queue_job_id is not None
                poll(lambda: cp.get_run(run.id).status, lambda s: s == "running", timeout=60)
                first.kill()
                space.set_faults(slow=0.0)
                # hand the job back at once (what the sweep does after the missing heartbeats,
                # but without marking the run): its run is still "running"
                queue.app.job_manager.retry_job_by_id(run.queue_job_id, datetime.now(UTC))
                assert cp.get_run(run.id).status == "running"
                procs.append(start_worker(env, tmp_path / "logs", "worker-2"))
                history = poll(lambda: cp.history("Issues"),
                               lambda h: h[0].status == "succeeded", timeout=60)  # fmt: skip
            finally:
                queue.close()
                for p in procs:
                    p.ensure_stopped()
        old, new = history[1], history[0]
        assert old.id == run.id
        assert old.status == "failed"
        assert "delivered again" in (old.error or "")
        assert old.error_action == "retry_later"
        assert (new.trigger, new.attempt) == ("retry", 2)
        assert new.queue_job_id == run.queue_job_id  # the same job carried the new attempt
        assert new.rows_read == len(space.state.issues)
