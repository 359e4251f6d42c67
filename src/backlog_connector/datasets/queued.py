"""What the control plane keeps for runs carried by the task queue (``workers``): the job of
each run, its progress, runs whose worker died, and the scheduler's due times and pending
retries, all in the database so that any process of the deployment sees them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from backlog_connector.datasets.info import RunInfo
from backlog_connector.datasets.models import Dataset, Run, ScheduleState, utcnow
from backlog_connector.datasets.plane import PlaneCore
from backlog_connector.datasets.views import run_info

#: the start of the error of a run whose worker stopped (killed, crashed, cut off)
LOST_WORKER = "the worker running it stopped"


@dataclass(frozen=True)
class ScheduleStateInfo:
    """The scheduler's memory of one dataset: the last due time acted on (for the schedule
    and zone it was computed for) and the pending retry, if any."""

    dataset: str
    spec: str | None
    timezone: str | None
    last_due: datetime | None
    retry_at: datetime | None
    retry_attempt: int | None


class QueuedRunsMixin(PlaneCore):
    """Runs on workers and the scheduler's state (see ``ControlPlane``)."""

    @property
    def engine(self) -> sa.Engine:
        """The control-plane database's engine (the task queue keeps its tables there)."""
        return self._engine

    def dataset_route(self, name: str) -> tuple[int, bool]:
        """The dataset's id (its lock in the task queue) and whether its tables are in the
        embedded DuckDB warehouse (its runs then go to the warehouse queue)."""
        with self._sessions() as s:
            row = self._dataset(s, name)
            return row.id, row.destination_id is None

    def attach_job(self, run_id: int, job_id: int) -> None:
        """Record the task-queue job that carries the run."""
        with self._sessions.begin() as s:
            s.execute(sa.update(Run).where(Run.id == run_id).values(queue_job_id=job_id))

    def save_progress(self, run_id: int, progress: dict[str, Any]) -> None:
        """Store the run's live progress (``rows``, ``pages``, ``message``)."""
        with self._sessions.begin() as s:
            s.execute(sa.update(Run).where(Run.id == run_id).values(progress=progress))

    def fail_lost_run(self, run_id: int, reason: str) -> bool:
        """Mark a queued or running run failed because its worker stopped (``reason`` says
        how it was found); False when the run had already finished."""
        return self.fail_stuck_run(
            run_id,
            f"{LOST_WORKER} before the run finished ({reason}); the table was left as it was;"
            " the run is tried again",
        )

    def fail_stuck_run(self, run_id: int, error: str) -> bool:
        """Mark a queued or running run failed with ``error`` (its job ended without it, or it
        never reached the queue); False when the run had already finished."""
        with self._sessions.begin() as s:
            result = s.execute(
                sa.update(Run)
                .where(Run.id == run_id, Run.status.in_(("queued", "running")))
                .values(
                    status="failed", finished_at=utcnow(), error_action="retry_later", error=error
                )
            )
            return bool(getattr(result, "rowcount", 0))

    def cancel_queued_run(self, run_id: int, error: str, *, status: str = "cancelled") -> bool:
        """Record a run that never started as cancelled (or ``status``: ``skipped`` for one
        that another waiting run stands in for); False if it had started."""
        now = utcnow()
        with self._sessions.begin() as s:
            result = s.execute(
                sa.update(Run)
                .where(Run.id == run_id, Run.status == "queued")
                .values(status=status, started_at=now, finished_at=now, error=error)
            )
            return bool(getattr(result, "rowcount", 0))

    def active_run(self, name: str) -> RunInfo | None:
        """The dataset's newest run that is queued or running, if any."""
        with self._sessions() as s:
            row = self._dataset(s, name)
            run = s.scalar(
                sa.select(Run)
                .where(Run.dataset_id == row.id, Run.status.in_(("queued", "running")))
                .order_by(Run.id.desc())
                .limit(1)
            )
            return run_info(run, name) if run is not None else None

    def active_runs(self) -> dict[str, RunInfo]:
        """Every dataset's newest queued or running run, by dataset name."""
        with self._sessions() as s:
            rows = s.execute(
                sa.select(Run, Dataset.name)
                .join(Dataset, Dataset.id == Run.dataset_id)
                .where(Run.status.in_(("queued", "running")))
                .order_by(Run.id)
            ).all()
            return {name: run_info(run, name) for run, name in rows}

    def schedule_states(self) -> dict[str, ScheduleStateInfo]:
        """The scheduler's state of every dataset that has one, by dataset name."""
        with self._sessions() as s:
            rows = s.execute(
                sa.select(ScheduleState, Dataset.name).join(
                    Dataset, Dataset.id == ScheduleState.dataset_id
                )
            ).all()
            return {
                name: ScheduleStateInfo(
                    name, st.spec, st.timezone, st.last_due, st.retry_at, st.retry_attempt
                )
                for st, name in rows
            }

    def remember_due(self, name: str, spec: str, timezone: str, due: datetime) -> None:
        """The scheduler acted on ``due`` for this schedule and zone."""
        self._change_state(name, spec=spec, timezone=timezone, last_due=due)

    def set_retry(self, name: str, at: datetime | None, attempt: int | None = None) -> None:
        """Plan attempt ``attempt`` at ``at`` (None: drop the pending retry)."""
        self._change_state(name, retry_at=at, retry_attempt=attempt if at is not None else None)

    def _change_state(self, name: str, **values: Any) -> None:
        with self._sessions.begin() as s:
            row = self._dataset(s, name)
            state = s.get(ScheduleState, row.id, with_for_update=True)
            if state is None:
                state = ScheduleState(dataset_id=row.id)
                s.add(state)
            for key, value in values.items():
                setattr(state, key, value)
