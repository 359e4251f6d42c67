"""What the scheduler shows the API and the pages: jobs, cancelling one, each dataset's status.

A mixin of ``Scheduler`` (``scheduler.loop``): it reads the scheduler's state under its lock.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from backlog_connector.backlog.errors import ConfigurationError
from backlog_connector.datasets.schedules import Schedule, parse_schedule
from backlog_connector.scheduler.jobs import Job
from backlog_connector.scheduler.state import DueTimes
from backlog_connector.scheduler.status import (
    DatasetStatus,
    PendingRetry,
    ProblemLog,
    guarded_next_due,
)

if TYPE_CHECKING:
    from backlog_connector.datasets.info import DatasetInfo
    from backlog_connector.datasets.service import ControlPlane


@functools.lru_cache(maxsize=4096)
def parse_saved(spec: str) -> Schedule:
    """A saved schedule (the control plane checked the minimum interval when it was saved)."""
    return parse_schedule(spec, min_interval_seconds=1)


class SchedulerViews:
    """Jobs and statuses of a ``Scheduler``."""

    cp: ControlPlane
    clock: Callable[[], datetime]
    due_times: DueTimes
    _lock: threading.RLock
    _jobs: dict[str, Job]
    _active: dict[str, Job]
    _retries: dict[str, PendingRetry]
    _problems: ProblemLog

    def _schedule_of(self, dataset: DatasetInfo) -> Schedule | None:
        try:
            return parse_saved(dataset.schedule)
        except ConfigurationError as exc:
            self._problems.report(dataset.name, f"its schedule is unusable: {exc}")
            return None

    # -- what the API shows ---------------------------------------------------------------------

    def job(self, job_id: str) -> Job | None:
        """A job by id (queued, running, or one of the recently finished)."""
        with self._lock:
            return self._jobs.get(job_id)

    def job_for_run(self, run_id: int) -> Job | None:
        """The job of a run this process queued (recently), if any."""
        with self._lock:
            return next((j for j in self._jobs.values() if j.run_id == run_id), None)

    def cancel(self, run_id: int) -> bool:
        """Ask the run's job to stop (it ends as cancelled, the table unchanged); False when
        this process has no unfinished job for that run."""
        job = self.job_for_run(run_id)
        if job is None or job.finished:
            return False
        job.cancel.set()
        return True

    def jobs(self) -> list[Job]:
        """Known jobs, newest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.created_at, reverse=True)

    def active_job(self, dataset: str) -> Job | None:
        """The dataset's queued or running job, if any."""
        with self._lock:
            return self._active.get(dataset)

    def status(self) -> list[DatasetStatus]:
        """Each dataset's next due time, running job and pending retry."""
        out = []
        now = self.clock()
        for dataset in self.cp.list_datasets():
            schedule = self._schedule_of(dataset)
            spec = schedule.spec if schedule else dataset.schedule
            last = self.due_times.last_due(dataset.name, spec, dataset.timezone)
            nxt, problem = None, None
            if schedule is None:
                problem = "its schedule is unusable: save a valid one (datasets update)"
            elif dataset.enabled:
                mark = now if last is None and schedule.kind != "interval" else last
                nxt, problem = guarded_next_due(schedule, dataset.timezone, mark, now)
            with self._lock:
                active = self._active.get(dataset.name)
                retry = self._retries.get(dataset.name)
            out.append(DatasetStatus(
                dataset=dataset.name, schedule=dataset.schedule, timezone=dataset.timezone,
                enabled=dataset.enabled, next_due=nxt, last_due=last,
                running_job=active.id if active else None,
                retry_at=retry.at if retry else None,
                retry_attempt=retry.attempt if retry else None, problem=problem,
            ))  # fmt: skip
        return out
