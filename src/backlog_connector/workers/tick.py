"""The scheduler's pass over the datasets when runs go to workers: the rules of
``scheduler.loop`` with due times and pending retries in the database (``schedule_states``).

* a due time that arrives while the dataset has a run queued or running is recorded as a
  ``skipped`` run, not queued behind it;
* a scheduled run supersedes a pending retry; a paused dataset drops its pending retry;
* a retry whose time has come is queued unless a run is under way.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from backlog_connector.backlog.errors import BacklogConnectorError, ConfigurationError
from backlog_connector.datasets.info import RunInfo
from backlog_connector.datasets.schedules import Schedule, next_due, parse_schedule
from backlog_connector.scheduler.jobs import utc_now

if TYPE_CHECKING:
    from backlog_connector.datasets.queued import ScheduleStateInfo
    from backlog_connector.datasets.service import ControlPlane
    from backlog_connector.workers.queue import RunQueue

log = logging.getLogger("backlog_connector.workers")


def schedule_of(spec: str) -> Schedule | None:
    """The parsed schedule (the control plane checked it when saved); None if unusable."""
    try:
        return parse_schedule(spec, min_interval_seconds=1)
    except ConfigurationError as exc:
        log.warning("unusable schedule %r: %s", spec, exc)
        return None


def last_due(state: ScheduleStateInfo | None, schedule: Schedule, tz: str) -> datetime | None:
    """The remembered due time if it was computed for this schedule and zone."""
    if state is None or state.spec != schedule.spec or state.timezone != tz:
        return None
    return state.last_due


def run_tick(cp: ControlPlane, queue: RunQueue, now: datetime | None = None) -> list[RunInfo]:
    """Queue every due dataset and every retry whose time has come; returns the new runs."""
    now = now or utc_now()
    states = cp.schedule_states()
    active = cp.active_runs()
    queued: list[RunInfo] = []
    for ds in cp.list_datasets():
        state = states.get(ds.name)
        retry_due = state is not None and state.retry_at is not None
        if not ds.enabled:
            if retry_due:
                cp.set_retry(ds.name, None)
                log.info("retry of %s dropped: the dataset is paused", ds.name)
            continue
        schedule = schedule_of(ds.schedule)
        if schedule is not None and not schedule.is_manual:
            last = last_due(state, schedule, ds.timezone)
            if last is None and schedule.kind != "interval":
                cp.remember_due(ds.name, schedule.spec, ds.timezone, now)
                last = now
            due = next_due(schedule, ds.timezone, last, now)
            if due is not None and due <= now:
                cp.remember_due(ds.name, schedule.spec, ds.timezone, due)
                if retry_due:
                    cp.set_retry(ds.name, None)  # the scheduled run supersedes the retry
                _start(cp, queue, ds.name, "schedule", 1, ds.name in active, queued, due)
                continue
        if state is not None and state.retry_at is not None and state.retry_at <= now:
            cp.set_retry(ds.name, None)
            if ds.name in active:
                log.info("retry of %s dropped: a run is under way", ds.name)
                continue
            _start(cp, queue, ds.name, "retry", state.retry_attempt or 2, False, queued)
    return queued


def _start(
    cp: ControlPlane, queue: RunQueue, name: str, trigger: str, attempt: int, busy: bool,
    queued: list[RunInfo], due: datetime | None = None,
) -> None:  # fmt: skip
    from backlog_connector.workers.queue import AlreadyQueuedError

    if not busy:
        try:
            queued.append(queue.enqueue(name, trigger=trigger, attempt=attempt))
            return
        except AlreadyQueuedError:
            return  # a job of the dataset waits already; the run was recorded skipped
        except BacklogConnectorError as exc:
            log.warning("could not queue the %s run of %s: %s", trigger, name, exc)
            return
    if trigger == "schedule":
        when = f" at {due.isoformat()}" if due else ""
        cp.record_run(name, trigger="schedule", status="skipped",
                      error=f"due{when} while the previous run was still running; skipped,"
                            " not queued")  # fmt: skip
