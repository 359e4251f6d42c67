"""The scheduler: runs due datasets, one run per dataset at a time, and retries failures.

A thread wakes about once a second (or at once when ``wake()`` is called), asks the control
plane for the datasets, and starts each due one in a worker thread. Runs of different Backlog
users go in parallel; runs of one user share its rate budget through the client's
process-global pacing.

Rules:

* A due time that arrives while the dataset still runs is recorded as a ``skipped`` run; it is
  not queued behind the running one.
* A failed run is retried after the dataset's retry interval, up to its ``retries``, each
  attempt recorded with ``trigger="retry"`` and its number. A configuration error (revoked key,
  missing project, ...) is not retried: another attempt cannot succeed.
* A paused (disabled) dataset is not retried: pausing drops a pending retry, and a run of a
  paused dataset (run by hand) that fails gets none.
* When the last attempt fails, the dataset's webhook (if any) gets a JSON POST.
* Pending retries live in memory: a restart drops them and the schedule takes over.
* ``stop()`` cancels running runs (they are recorded as cancelled) and waits for them.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from backlog_connector.backlog.errors import (
    BacklogConnectorError,
    ConfigurationError,
    RetryLaterError,
)
from backlog_connector.backlog.private_hosts import non_public_address
from backlog_connector.datasets.schedules import Schedule
from backlog_connector.scheduler.jobs import Job, utc_now
from backlog_connector.scheduler.state import STATE_FILE, DueTimes
from backlog_connector.scheduler.status import PendingRetry, ProblemLog, guarded_next_due
from backlog_connector.scheduler.views import SchedulerViews
from backlog_connector.scheduler.webhook import failure_payload, send_failure

if TYPE_CHECKING:
    from backlog_connector.datasets.info import DatasetInfo, RunInfo
    from backlog_connector.datasets.service import ControlPlane

log = logging.getLogger("backlog_connector.scheduler")

#: how many finished jobs stay pollable
KEEP_FINISHED_JOBS = 500


class AlreadyRunningError(ConfigurationError):
    """The dataset already has a run queued or under way."""


class ServiceStoppingError(RetryLaterError):
    """The scheduler is stopping and starts no more runs."""


class Scheduler(SchedulerViews):
    """Decides when datasets run and runs them (see the module docstring for the rules).

    ``clock`` returns the current aware time (tests pass a controlled one and call ``tick()``
    themselves instead of ``start()``). ``state_path`` keeps last due times across restarts
    (default: ``scheduler-state.json`` in the control plane's home; None keeps them in memory).
    ``public_url`` prefixes the run link sent to webhooks.
    """

    def __init__(
        self,
        control_plane: ControlPlane,
        *,
        clock: Callable[[], datetime] = utc_now,
        tick_seconds: float = 1.0,
        max_workers: int = 8,
        state_path: Path | bool | None = True,
        public_url: str | None = None,
        notify: Callable[[str, dict[str, Any]], object] = send_failure,
    ) -> None:
        self.cp = control_plane
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.public_url = public_url
        self.notify = notify
        path = Path(control_plane.home) / STATE_FILE if state_path is True else state_path
        self.due_times = DueTimes(path if isinstance(path, Path) else None)
        self._executor = ThreadPoolExecutor(max_workers, thread_name_prefix="bc-run")
        self._lock = threading.RLock()
        self._active: dict[str, Job] = {}  # dataset -> its queued or running job
        self._futures: dict[str, Future[None]] = {}  # job id -> future
        self._jobs: dict[str, Job] = {}  # job id -> job, finished ones trimmed
        self._retries: dict[str, PendingRetry] = {}
        self._upcoming: dict[str, tuple[tuple[str, str, datetime | None], datetime | None]] = {}
        self._problems = ProblemLog()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the scheduler thread (ticks until ``stop()``)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="bc-scheduler", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Tick now instead of at the next second (after a dataset was created or changed)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop ticking, cancel queued and running runs, and wait up to ``timeout`` seconds."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            jobs = list(self._active.values())
            futures = list(self._futures.values())
            for job in jobs:
                job.cancel.set()
            # Queued futures still run: with the cancel set, each records its run as cancelled.
            self._executor.shutdown(wait=False)
        deadline = utc_now() + timedelta(seconds=timeout)
        for future in futures:
            remaining = (deadline - utc_now()).total_seconds()
            if not future.done() and remaining > 0:
                with contextlib.suppress(Exception):  # the worker logged it
                    future.result(timeout=remaining)
        for job in jobs:
            if not job.finished:
                # Runs notice the cancel between pages; one stuck in a slow request is left
                # "running" and marked failed by fail_orphaned_runs() at the next start.
                log.warning("run %s of %s did not stop within %.0f s", job.run_id, job.dataset,
                            timeout)  # fmt: skip

    @property
    def running(self) -> bool:
        """True while the scheduler thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.tick()
            except Exception:  # keep scheduling; the next tick may find the database back
                log.exception("scheduler tick failed")
            self._wake.wait(self.tick_seconds)
            self._wake.clear()

    # -- one pass -------------------------------------------------------------------------------

    def tick(self) -> None:
        """Start every dataset that is due now and every retry whose time has come."""
        if self._stopping.is_set():
            return
        now = self.clock()
        datasets = self.cp.list_datasets()
        names = {d.name for d in datasets}
        self.due_times.forget(self.due_times.names() - names)
        paused = {d.name for d in datasets if not d.enabled}
        with self._lock:
            for gone in set(self._retries) - names:
                del self._retries[gone]
            for name in paused & set(self._retries):
                log.info("retry %d of %s dropped: the dataset is paused",
                         self._retries.pop(name).attempt, name)  # fmt: skip
            for gone in set(self._upcoming) - names:
                del self._upcoming[gone]
        for dataset in datasets:
            try:
                self._consider(dataset, now)
            except Exception as exc:  # one dataset's trouble never stops the others
                self._problems.report(dataset.name, f"{type(exc).__name__}: {exc}")
        self._start_due_retries(now)

    def _consider(self, dataset: DatasetInfo, now: datetime) -> None:
        schedule = self._schedule_of(dataset)
        if schedule is None or schedule.is_manual or not dataset.enabled:
            return
        last = self.due_times.last_due(dataset.name, schedule.spec, dataset.timezone)
        if last is None and schedule.kind != "interval":
            # First sight of a calendar schedule: due times from now on count, so remember
            # "now" as the mark; otherwise each tick would look only past its own moment.
            last = now
            self.due_times.remember(dataset.name, schedule.spec, dataset.timezone, now)
        due = self._next_due(dataset.name, schedule, dataset.timezone, last, now)
        if due is not None and due <= now:
            self.due_times.remember(dataset.name, schedule.spec, dataset.timezone, due)
            with self._lock:
                self._retries.pop(dataset.name, None)  # the scheduled run supersedes a retry
            self._start(dataset.name, trigger="schedule", attempt=1, due=due)

    def _next_due(
        self, name: str, schedule: Schedule, tz: str, last: datetime | None, now: datetime
    ) -> datetime | None:
        """``next_due``, memoised: a future answer stays right until its inputs change."""
        key = (schedule.spec, tz, last)
        cached = self._upcoming.get(name)
        if cached is not None and cached[0] == key and cached[1] is not None and cached[1] > now:
            return cached[1]
        due, problem = guarded_next_due(schedule, tz, last, now)
        if problem is not None:
            self._problems.report(name, problem)
            return None
        self._problems.clear(name)
        self._upcoming[name] = (key, due)
        return due

    def _start_due_retries(self, now: datetime) -> None:
        with self._lock:
            due = [(n, r) for n, r in self._retries.items() if r.at <= now]
            for name, _ in due:
                del self._retries[name]
        for name, retry in due:
            with self._lock:
                busy = name in self._active
            if busy:  # a run is already under way: it stands in for the retry
                log.info("retry %d of %s dropped: a run is under way", retry.attempt, name)
                continue
            self._start(name, trigger="retry", attempt=retry.attempt)

    # -- starting runs ------------------------------------------------------------------------

    def run_now(self, name: str, *, full: bool = False) -> Job:
        """Queue a manual run of ``name`` and return its job at once.

        Raises ``AlreadyRunningError`` when the dataset has a run queued or under way, and the
        control plane's ``UnknownNameError`` when there is no such dataset.
        """
        self.cp.get_dataset(name)
        if self._stopping.is_set():
            raise ServiceStoppingError("the service is stopping; start the run after it restarts")
        job = self._start(name, trigger="manual", attempt=1, full=full)
        if job is None:
            raise AlreadyRunningError(
                f"dataset {name!r} is already running; wait for that run to finish (see its"
                " history) before starting another"
            )
        with self._lock:
            self._retries.pop(name, None)
        return job

    def _start(
        self, name: str, *, trigger: str, attempt: int, full: bool = False,
        due: datetime | None = None,
    ) -> Job | None:  # fmt: skip
        """Queue a run of ``name`` and hand it to a worker; None when it cannot start now."""
        job = Job(dataset=name, trigger=trigger, attempt=attempt, full=full)
        with self._lock:
            if self._stopping.is_set():
                return None
            busy = name in self._active
            if not busy:
                self._active[name] = job  # reserved before the run exists: no double start
        if busy:
            if trigger == "schedule":
                self._record_skipped(name, due)
            return None
        try:
            run = self.cp.queue_run(name, trigger=trigger, attempt=attempt)
        except BaseException:
            with self._lock:
                self._active.pop(name, None)
            raise
        job.update(run_id=run.id)
        log.info("queued %s run %d of %s (attempt %d)", trigger, run.id, name, attempt)
        with self._lock:
            self._jobs[job.id] = job
            self._trim_jobs()
            if self._stopping.is_set():
                job.cancel.set()
            try:
                self._futures[job.id] = self._executor.submit(self._work, job)
                return job
            except RuntimeError:  # stop() shut the executor down meanwhile
                pass
        self._work(job)  # with the cancel set: records the run as cancelled
        return job

    def _record_skipped(self, name: str, due: datetime | None) -> None:
        when = f" at {due.isoformat()}" if due else ""
        log.info("%s was due%s while still running: skipped", name, when)
        try:
            self.cp.record_run(
                name, trigger="schedule", status="skipped",
                error=f"due{when} while the previous run was still running; skipped, not queued",
            )  # fmt: skip
        except BacklogConnectorError as exc:
            log.warning("could not record the skipped run of %s: %s", name, exc)

    def _trim_jobs(self) -> None:
        finished = [j for j in self._jobs.values() if j.finished]
        for job in finished[: max(0, len(finished) - KEEP_FINISHED_JOBS)]:
            del self._jobs[job.id]

    # -- a worker -------------------------------------------------------------------------------

    def _work(self, job: Job) -> None:
        try:
            run = self._run(job)
            if run is not None:
                job.update(status=run.status, error=run.error, error_action=run.error_action,
                           finished_at=utc_now())  # fmt: skip
                if run.status == "failed":
                    self._after_failure(job, run)
        finally:
            with self._lock:
                if self._active.get(job.dataset) is job:
                    del self._active[job.dataset]
                self._futures.pop(job.id, None)

    def _run(self, job: Job) -> RunInfo | None:
        assert job.run_id is not None
        job.update(status="running", started_at=utc_now())
        try:
            runs = self.cp.execute_runs(
                [job.run_id], full=job.full, progress=job.on_progress, cancel=job.cancel
            )
        except Exception as exc:
            log.exception("%s run %s of %s crashed", job.trigger, job.run_id, job.dataset)
            job.update(status="failed", error=f"{type(exc).__name__}: internal error",
                       error_action="give_up", finished_at=utc_now())  # fmt: skip
            return None
        return runs[0] if runs else None

    def _after_failure(self, job: Job, run: RunInfo) -> None:
        try:
            dataset = self.cp.get_dataset(job.dataset)
        except BacklogConnectorError:
            return  # deleted while it ran: nobody to retry or notify for
        if run.error_action == "configuration":
            log.warning("%s failed with a configuration error; not retried: %s",
                        job.dataset, run.error)  # fmt: skip
        elif not dataset.enabled:
            log.info("%s failed while paused; not retried", job.dataset)
        elif job.attempt <= dataset.retries and not self._stopping.is_set():
            at = self.clock() + timedelta(seconds=dataset.retry_interval_seconds)
            with self._lock:
                self._retries[job.dataset] = PendingRetry(at=at, attempt=job.attempt + 1)
            log.info("%s failed (attempt %d); retry %d at %s", job.dataset, job.attempt,
                     job.attempt + 1, at.isoformat())  # fmt: skip
            return
        if dataset.webhook_url and self._may_call(dataset.webhook_url, dataset.name):
            payload = failure_payload(
                dataset=job.dataset, error=run.error, run_id=run.id, attempt=job.attempt,
                trigger=job.trigger, error_action=run.error_action, public_url=self.public_url,
            )  # fmt: skip
            self.notify(dataset.webhook_url, payload)

    def _may_call(self, url: str, name: str) -> bool:
        """The webhook's host is checked again when it is called (its name may now resolve
        to a private address)."""
        host = urlsplit(url).hostname or ""
        if self.cp.settings.network.allow_private_addresses or non_public_address(host) is None:
            return True
        log.warning("webhook of %s not sent: its host %s now points at a private address"
                    " (setting network.allow_private_addresses)", name, host)  # fmt: skip
        return False
