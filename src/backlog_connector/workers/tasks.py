"""What the jobs do. Each task takes the process's ``ControlPlane`` from the worker's
``additional_context["plane"]`` (and ``serve``'s :class:`~.queue.RunQueue` from ``["queue"]``).

Delivery is at least once, so :func:`run_dataset` looks at its run before it starts:

* ``queued``: run it;
* ``running``: the job was delivered again while its run never finished: the worker that had
  it is gone; the run is failed with that reason and a new attempt (trigger ``retry``) runs;
* failed by the sweep (its worker stopped sending heartbeats): a new attempt runs;
* otherwise the run is over (its worker stopped after recording it): nothing to do.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from backlog_connector.datasets.errors import UnknownNameError
from backlog_connector.datasets.info import RunInfo
from backlog_connector.datasets.queued import LOST_WORKER
from backlog_connector.scheduler.jobs import utc_now
from backlog_connector.scheduler.webhook import failure_payload, send_failure

if TYPE_CHECKING:
    from procrastinate import JobContext

    from backlog_connector.datasets.service import ControlPlane

log = logging.getLogger("backlog_connector.workers")

#: how often a running job checks whether it was asked to abort
ABORT_POLL_SECONDS = 0.5


def run_dataset(context: JobContext, run_id: int, full: bool = False) -> None:
    """Run the queued run ``run_id`` (see the module docstring for redeliveries)."""
    from procrastinate.exceptions import JobAborted

    cp: ControlPlane = context.additional_context["plane"]
    try:
        run = cp.get_run(run_id)
    except UnknownNameError:
        log.info("run %s is gone (its dataset was deleted); nothing to do", run_id)
        return
    target = _run_to_execute(cp, run)
    if target is None:
        return
    if context.job.id is not None:
        cp.attach_job(target.id, context.job.id)
    cancel = threading.Event()
    done = threading.Event()

    def watch_abort() -> None:
        while not done.wait(ABORT_POLL_SECONDS):
            if context.should_abort():
                cancel.set()
                return

    watcher = threading.Thread(target=watch_abort, name=f"abort-{target.id}", daemon=True)
    watcher.start()
    try:  # the control plane keeps the run's progress in its record (runs.progress)
        finished = cp.execute_runs([target.id], full=full, cancel=cancel)[0]
    finally:
        done.set()
    if finished.status == "failed":
        after_failure(cp, finished)
    if finished.status == "cancelled" and cancel.is_set():
        raise JobAborted(f"run {finished.id} of {finished.dataset} was cancelled")


def _run_to_execute(cp: ControlPlane, run: RunInfo) -> RunInfo | None:
    if run.status == "queued":
        return run
    lost = run.status == "running"
    if lost:
        lost = cp.fail_lost_run(
            run.id, "its job was delivered again while the run was still marked running"
        )
    elif run.status == "failed" and (run.error or "").startswith(LOST_WORKER):
        lost = True
    if not lost:
        log.info("run %d of %s is already %s; nothing to do", run.id, run.dataset, run.status)
        return None
    try:
        retry = cp.queue_run(run.dataset, trigger="retry", attempt=run.attempt + 1)
    except UnknownNameError:
        return None
    log.warning("run %d of %s lost its worker; running attempt %d as run %d",
                run.id, run.dataset, retry.attempt, retry.id)  # fmt: skip
    return retry


def after_failure(cp: ControlPlane, run: RunInfo, public_url: str | None = None) -> None:
    """Plan the dataset's retry (in the database) or, after the last attempt, call its
    webhook; the rules of ``scheduler.loop``."""
    try:
        dataset = cp.get_dataset(run.dataset)
    except UnknownNameError:
        return
    if run.error_action == "configuration":
        log.warning("%s failed with a configuration error; not retried: %s",
                    run.dataset, run.error)  # fmt: skip
    elif not dataset.enabled:
        log.info("%s failed while paused; not retried", run.dataset)
    elif run.attempt <= dataset.retries:
        at = utc_now() + timedelta(seconds=dataset.retry_interval_seconds)
        cp.set_retry(run.dataset, at, run.attempt + 1)
        log.info("%s failed (attempt %d); retry %d at %s", run.dataset, run.attempt,
                 run.attempt + 1, at.isoformat())  # fmt: skip
        return
    if dataset.webhook_url:
        payload = failure_payload(
            dataset=run.dataset, error=run.error, run_id=run.id, attempt=run.attempt,
            trigger=run.trigger, error_action=run.error_action, public_url=public_url,
        )  # fmt: skip
        send_failure(dataset.webhook_url, payload)


def scheduler_tick(context: JobContext, timestamp: int) -> None:
    """One scheduler pass (``tick.run_tick``); periodic, one at a time across replicas."""
    from backlog_connector.workers.tick import run_tick

    run_tick(context.additional_context["plane"], context.additional_context["queue"])


#: runs still queued or running whose job ended (the task failed before it could record it)
_ENDED_JOBS = sa.text(
    "SELECT r.id, j.status FROM runs r JOIN procrastinate_jobs j ON j.id = r.queue_job_id"
    " WHERE r.status IN ('queued', 'running')"
    " AND j.status IN ('succeeded', 'failed', 'cancelled', 'aborted')"
)
#: runs queued this long without a job never reached the queue (their process stopped)
UNQUEUED_SECONDS = 120
_UNQUEUED = sa.text(
    "SELECT id FROM runs WHERE status = 'queued' AND queue_job_id IS NULL"
    " AND created_at < now() - make_interval(secs => :seconds)"
)


def settle_stuck_runs(cp: ControlPlane) -> int:
    """Fail the runs no job will ever finish: their job ended without recording them, or
    they were never handed to the queue. Such a run would hold its dataset (one run at a
    time) for ever. Returns how many."""
    with cp.engine.connect() as conn:
        ended = conn.execute(_ENDED_JOBS).all()
        unqueued = conn.execute(_UNQUEUED, {"seconds": UNQUEUED_SECONDS}).all()
    count = 0
    for run_id, status in ended:
        count += cp.fail_stuck_run(
            run_id, f"its task-queue job ended ({status}) without finishing the run; the"
            " table was left as it was; see the worker's log",
        )  # fmt: skip
    for (run_id,) in unqueued:
        count += cp.fail_stuck_run(
            run_id, f"it was never handed to the task queue (the process queuing it stopped"
            f" within {UNQUEUED_SECONDS} s); the table was left as it was",
        )  # fmt: skip
    return count


async def sweep_stalled_runs(context: JobContext, timestamp: int) -> None:
    """Find jobs whose worker stopped sending heartbeats: fail their runs with that reason
    and hand the jobs back to the queue (the next delivery runs a new attempt). Then settle
    runs whose job ended without them (:func:`settle_stuck_runs`)."""
    cp: ControlPlane = context.additional_context["plane"]
    seconds = cp.settings.workers.stalled_seconds
    manager = context.app.job_manager
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=seconds):
        if job.id == context.job.id:
            continue
        run_id: Any = job.task_kwargs.get("run_id")
        if isinstance(run_id, int):
            failed = await asyncio.to_thread(
                cp.fail_lost_run, run_id, f"no heartbeat from its worker for {seconds:g} s"
            )
            log.warning("job %s (run %s): its worker stopped; run failed=%s, job retried",
                        job.id, run_id, failed)  # fmt: skip
        await manager.retry_job(job)
    settled = await asyncio.to_thread(settle_stuck_runs, cp)
    if settled:
        log.warning("failed %d run(s) that no job would ever finish", settled)
