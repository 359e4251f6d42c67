"""The scheduler surface of a ``serve`` replica when runs go to workers.

:class:`QueueScheduler` answers the web pages and the REST API as ``scheduler.loop.Scheduler``
does (``run_now``, ``cancel``, ``job_for_run``, ``active_job``, ``status``, ``due_times``), but
from the control plane's database, so every replica shows the same: runs are queued through
:class:`~.queue.RunQueue`, progress is what the workers stored, due times and retries are in
``schedule_states``. ``start()`` runs an embedded procrastinate worker on the ``scheduler``
queue whose periodic tasks are the tick and the stalled-run sweep (deferred once per
timestamp and under a lock, so one tick happens however many replicas run).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

from backlog_connector.datasets.errors import UnknownNameError
from backlog_connector.datasets.info import RunInfo
from backlog_connector.datasets.schedules import next_due
from backlog_connector.scheduler.jobs import Job
from backlog_connector.scheduler.loop import AlreadyRunningError, Scheduler
from backlog_connector.scheduler.state import DueTimes
from backlog_connector.scheduler.status import DatasetStatus
from backlog_connector.workers.queue import (
    SCHEDULER_QUEUE,
    AlreadyQueuedError,
    RunQueue,
    build_app,
)
from backlog_connector.workers.tick import last_due, run_tick, schedule_of

if TYPE_CHECKING:
    from backlog_connector.datasets.service import ControlPlane

log = logging.getLogger("backlog_connector.workers")


def job_of(run: RunInfo) -> Job:
    """A ``Job`` view of a run (what the pages and the API show), progress from the database."""
    progress = run.progress or {}
    job = Job(dataset=run.dataset, trigger=run.trigger, attempt=run.attempt,
              id=f"run-{run.id}", status=run.status, run_id=run.id, error=run.error,
              error_action=run.error_action, rows=int(progress.get("rows", run.rows_read)),
              pages=int(progress.get("pages", 0)), message=str(progress.get("message", "")),
              created_at=run.created_at, started_at=run.started_at,
              finished_at=run.finished_at, stored_progress=run.progress)  # fmt: skip
    return job


class _DatabaseDueTimes(DueTimes):
    """Last due times from ``schedule_states`` (for the pages' next-run times)."""

    def __init__(self, cp: ControlPlane) -> None:
        super().__init__(None)
        self.cp = cp

    def last_due(self, dataset: str, spec: str, timezone: str) -> datetime | None:
        state = self.cp.schedule_states().get(dataset)
        if state is None or state.spec != spec or state.timezone != timezone:
            return None
        return state.last_due

    def remember(self, dataset: str, spec: str, timezone: str, due: datetime) -> None:
        self.cp.remember_due(dataset, spec, timezone, due)


class QueueScheduler(Scheduler):
    """``Scheduler``'s surface over the task queue (see the module docstring)."""

    def __init__(self, control_plane: ControlPlane, *, public_url: str | None = None) -> None:
        super().__init__(control_plane, state_path=None, public_url=public_url)
        self.queue = RunQueue(control_plane)
        self.due_times = _DatabaseDueTimes(control_plane)
        self._worker_thread: threading.Thread | None = None
        self._queue_loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[None] | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the embedded worker of the ``scheduler`` queue (tick and sweep)."""
        if self._worker_thread is not None:
            return
        started = threading.Event()
        self._worker_thread = threading.Thread(
            target=self._serve_scheduler_queue, args=(started,), name="bc-scheduler-queue",
            daemon=True,
        )  # fmt: skip
        self._worker_thread.start()
        started.wait(10)

    def _serve_scheduler_queue(self, started: threading.Event) -> None:
        app = build_app(self.cp, scheduling=True)
        workers = self.cp.settings.workers

        async def main() -> None:
            async with app.open_async():
                await app.run_worker_async(
                    queues=[SCHEDULER_QUEUE], concurrency=2, install_signal_handlers=False,
                    name=f"serve-{socket.gethostname()}-{os.getpid()}",
                    additional_context={"plane": self.cp, "queue": self.queue},
                    delete_jobs="successful", update_heartbeat_interval=workers.heartbeat_seconds,
                    stalled_worker_timeout=workers.stalled_seconds,
                    fetch_job_polling_interval=1.0,
                )  # fmt: skip

        loop = asyncio.new_event_loop()
        self._queue_loop = loop
        self._main = loop.create_task(main())
        started.set()
        try:
            loop.run_until_complete(self._main)
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("the scheduler's queue worker stopped")
        finally:
            loop.close()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the embedded worker (runs on workers go on) and close the queue."""
        self._stopping.set()
        loop, main = self._queue_loop, self._main
        if loop is not None and main is not None and not loop.is_closed():
            loop.call_soon_threadsafe(main.cancel)
        if self._worker_thread is not None:
            self._worker_thread.join(timeout)
        self.queue.close()

    @property
    def running(self) -> bool:
        """True while the embedded worker (tick and sweep) is alive."""
        return self._worker_thread is not None and self._worker_thread.is_alive()

    def wake(self) -> None:
        """Nothing to do: the tick runs every second on whichever replica takes it."""

    def tick(self) -> None:
        """One scheduler pass here and now (tests; in service it is the periodic task)."""
        run_tick(self.cp, self.queue, self.clock())

    # -- runs ----------------------------------------------------------------------------------

    def run_now(self, name: str, *, full: bool = False) -> Job:
        """Queue a manual run for the workers; ``AlreadyRunningError`` when one is queued or
        running on any worker."""
        self.cp.get_dataset(name)
        try:
            run = self.queue.enqueue(name, trigger="manual", full=full)
        except AlreadyQueuedError as exc:
            raise AlreadyRunningError(str(exc)) from None
        self.cp.set_retry(name, None)
        return job_of(run)

    def job_for_run(self, run_id: int) -> Job | None:
        """The run as a job (from the database) if a worker carries it."""
        try:
            run = self.cp.get_run(run_id)
        except UnknownNameError:
            return None
        return job_of(run) if run.queue_job_id is not None else None

    def cancel(self, run_id: int) -> bool:
        """Cancel a waiting run, or ask its worker to abort a running one."""
        try:
            return self.queue.cancel(run_id)
        except UnknownNameError:
            return False

    def active_job(self, dataset: str) -> Job | None:
        """The dataset's queued or running run, on any worker."""
        try:
            run = self.cp.active_run(dataset)
        except UnknownNameError:
            return None
        return job_of(run) if run is not None else None

    def jobs(self) -> list[Job]:
        """Queued and running runs, newest first."""
        runs = sorted(self.cp.active_runs().values(), key=lambda r: r.id, reverse=True)
        return [job_of(r) for r in runs]

    def job(self, job_id: str) -> Job | None:
        """A job by the id ``job_of`` gives it (``run-<id>``)."""
        if not job_id.startswith("run-") or not job_id[4:].isdigit():
            return None
        return self.job_for_run(int(job_id[4:]))

    def status(self) -> list[DatasetStatus]:
        """Each dataset's next due time, running run and pending retry, from the database."""
        now = self.clock()
        states = self.cp.schedule_states()
        active = self.cp.active_runs()
        out = []
        for ds in self.cp.list_datasets():
            schedule = schedule_of(ds.schedule)
            state = states.get(ds.name)
            last = last_due(state, schedule, ds.timezone) if schedule is not None else None
            nxt = None
            if schedule is not None and ds.enabled:
                mark = now if last is None and schedule.kind != "interval" else last
                nxt = next_due(schedule, ds.timezone, mark, now)
            run = active.get(ds.name)
            retry: dict[str, Any] = {}
            if state is not None and state.retry_at is not None:
                retry = {"retry_at": state.retry_at, "retry_attempt": state.retry_attempt}
            out.append(DatasetStatus(
                dataset=ds.name, schedule=ds.schedule, timezone=ds.timezone, enabled=ds.enabled,
                next_due=nxt, last_due=last, running_job=f"run-{run.id}" if run else None,
                retry_at=retry.get("retry_at"), retry_attempt=retry.get("retry_attempt"),
            ))  # fmt: skip
        return out
