"""Runs: queued, executed together in threads, recorded with what they did."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backlog_connector.backlog.errors import BacklogConnectorError, InvalidOptionError
from backlog_connector.datasets.connect import (
    secret_values,
)
from backlog_connector.datasets.errors import UnknownNameError
from backlog_connector.datasets.info import (
    RUN_TRIGGERS,
    RunInfo,
)
from backlog_connector.datasets.models import Dataset, Run, utcnow
from backlog_connector.datasets.owner import Owner
from backlog_connector.datasets.plane import SinkTarget, address_of
from backlog_connector.datasets.progress_record import RecordedProgress
from backlog_connector.datasets.run_lock import dataset_lock
from backlog_connector.datasets.runner import Progress, RunOutcome, RunPlan, execute, redact
from backlog_connector.datasets.settle import SettleMixin
from backlog_connector.datasets.views import run_info

log = logging.getLogger("backlog_connector.datasets")

#: statuses ``record_run`` accepts: a run that is over
_FINISHED = ("succeeded", "failed", "cancelled", "skipped")


def _insert_run(s: Session, dataset: Dataset, name: str, **fields: Any) -> RunInfo:
    """Add a run of ``dataset`` with zeroed counters (set here, so the returned info has them
    without a reload) and return it."""
    run = Run(
        dataset_id=dataset.id, rows_read=0, rows_written=0, rows_main=0, rows_child=0,
        rows_deleted=0, warnings=0, rate_limited=0, retries=0, wait_seconds=0.0, **fields,
    )  # fmt: skip
    s.add(run)
    s.flush()
    return run_info(run, name)


class RunsMixin(SettleMixin):
    """Running datasets and their history (see ``ControlPlane``)."""

    def queue_run(self, name: str, *, trigger: str = "manual", attempt: int = 1) -> RunInfo:
        """Record a queued run of ``name`` (to start with ``execute_runs``); lets a caller
        hand out the run's id before it starts."""
        _check_trigger(trigger, attempt)
        with self._sessions.begin() as s:
            row = self._dataset(s, name)
            queued = _insert_run(
                s, row, name, trigger=trigger, attempt=attempt, status="queued",
                created_at=utcnow(), **self._owner_fields(),
            )  # fmt: skip
        self._ensure_heartbeat()
        return queued

    def execute_runs(
        self,
        run_ids: Sequence[int],
        *,
        full: bool = False,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> list[RunInfo]:
        """Run queued runs together (one thread each; one Backlog user's runs share its rate
        budget). A dataset already running in this process gets its run recorded as skipped.
        ``progress(dataset_name, event)`` is called from the run threads. Raises
        ``InvalidOptionError`` before anything runs if a run is unknown or not queued."""
        ids = [int(i) for i in dict.fromkeys(run_ids)]
        for run in map(self.get_run, ids):
            if run.status != "queued":
                raise InvalidOptionError(
                    f"run {run.id} of {run.dataset!r} is {run.status}, not queued; queue a new"
                    " run (queue_run / run_datasets) to run the dataset again"
                )
        if len(ids) == 1:
            self._execute_one(ids[0], full, progress, cancel)
        elif ids:
            with ThreadPoolExecutor(len(ids), thread_name_prefix="run") as pool:
                list(pool.map(lambda i: self._execute_one(i, full, progress, cancel), ids))
        return [self.get_run(i) for i in ids]

    def run_datasets(
        self,
        names: Iterable[str],
        *,
        full: bool = False,
        trigger: str = "manual",
        attempt: int = 1,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> list[RunInfo]:
        """Run datasets now, together, and return their runs (failed runs do not raise: see
        ``RunInfo.status`` and ``.error``). Unknown names raise before anything runs."""
        unique = list(dict.fromkeys(names))
        if not unique:
            raise InvalidOptionError("no dataset named: give one or more dataset names")
        _check_trigger(trigger, attempt)
        with self._sessions() as s:
            for name in unique:
                self._dataset(s, name)
        runs = [self.queue_run(n, trigger=trigger, attempt=attempt) for n in unique]
        return self.execute_runs([r.id for r in runs], full=full, progress=progress, cancel=cancel)

    def record_run(
        self,
        name: str,
        *,
        trigger: str,
        status: str,
        error: str | None = None,
        attempt: int = 1,
    ) -> RunInfo:
        """Record a run that did not execute (e.g. a due time skipped because the dataset was
        still running), finished at once."""
        _check_trigger(trigger, attempt)
        if status not in _FINISHED:
            raise InvalidOptionError(
                f"invalid run status {status!r} to record: use one of {', '.join(_FINISHED)}"
            )
        now = utcnow()
        with self._sessions.begin() as s:
            row = self._dataset(s, name)
            return _insert_run(
                s, row, name, trigger=trigger, attempt=attempt, status=status, created_at=now,
                started_at=now, finished_at=now, error=error,
            )  # fmt: skip

    def history(self, name: str, limit: int = 50) -> list[RunInfo]:
        """The dataset's runs, newest first (runs of dead processes settled first)."""
        self.settle_runs()
        with self._listing() as listing:
            return listing.history(name, limit)

    def get_run(self, run_id: int) -> RunInfo:
        """One run by id; ``UnknownNameError`` if there is none."""
        self.settle_runs()
        with self._sessions() as s:
            row = s.execute(
                sa.select(Run, Dataset.name)
                .join(Dataset, Dataset.id == Run.dataset_id)
                .where(Run.id == int(run_id))
            ).first()
            if row is None:
                raise UnknownNameError(
                    f"no run with id {run_id}; list runs with 'datasets history'"
                )
            return run_info(row[0], row[1])

    def _plan(self, run_id: int, full: bool) -> tuple[RunPlan, SinkTarget | None]:
        """The run's plan and its dataset's destination (None: the warehouse)."""
        with self._sessions() as s:
            run = s.get(Run, run_id)
            if run is None:
                raise UnknownNameError(f"no run with id {run_id}")
            row = s.get(Dataset, run.dataset_id)
            assert row is not None
            account = row.account
            document = self._box.open_sealed(account.secret, account=account.name)
            plan = RunPlan(
                run_id=run_id,
                dataset=row.name,
                account=account.name,
                report=row.report,
                options=dict(row.options),
                mode=row.update_mode,
                table=row.table_name,
                full=full or row.force_full,
                address=address_of(account),
                credentials=self._credentials(account),
                user_id=account.user_id,
                secrets=tuple(secret_values(document)),
                config_version=row.config_version,
                dataset_id=row.id,
                publish_to=(
                    self.home / "published" / f"{row.table_name}.parquet" if row.publish else None
                ),
                space_timezone=account.space_timezone,
            )
            return plan, self._sink_target(row)

    def _execute_one(
        self,
        run_id: int,
        full: bool,
        progress: Progress | None,
        cancel: threading.Event | None,
    ) -> None:
        winner = self._claim(run_id)
        if winner is not None:
            self._finish(run_id, RunOutcome(
                status="skipped",
                error=f"another process ({winner.describe()}) was already running the dataset",
            ))  # fmt: skip
            return
        try:
            plan, target = self._plan(run_id, full)
            sink = self._sink_for(target)
        except Exception as exc:  # no credentials, warehouse busy, ...: the run fails, recorded
            self._finish(run_id, _failed_before_start(exc))
            return
        with self._running_lock:
            busy = plan.dataset in self._running
            if not busy:
                self._running.add(plan.dataset)
        if busy:
            self._finish(
                run_id,
                RunOutcome(status="skipped", error="the dataset was already running"),
            )
            return

        def started(cursor: dict[str, Any] | None) -> None:
            with self._sessions.begin() as s:
                run = s.get(Run, run_id)
                assert run is not None
                run.status = "running"
                run.started_at = utcnow()
                run.cursor_before = cursor

        recorded = RecordedProgress(lambda data: self._save_live(run_id, data), progress)
        try:
            with dataset_lock(self.home, plan.dataset_id) as mine:
                if mine:
                    outcome = execute(
                        plan, sink, on_start=started, progress=recorded, cancel=cancel,
                        ledger=self.rate_ledger,
                    )  # fmt: skip
                else:  # a run of another process of this data home (a CLI, serve)
                    outcome = RunOutcome(
                        status="skipped",
                        error="the dataset was already running in another process",
                    )
        except Exception as exc:  # execute records run failures itself; this is a last resort
            outcome = _failed_before_start(exc, (*plan.secrets, *plan.credentials.secrets()))
        finally:
            with self._running_lock:
                self._running.discard(plan.dataset)
        self._finish(run_id, outcome, full_at_version=plan.config_version if plan.full else None,
                     progress=recorded.final())  # fmt: skip

    def _save_live(self, run_id: int, progress: dict[str, Any]) -> None:
        """Store a running run's progress (``datasets.live_progress``) in its record."""
        with self._sessions.begin() as s:
            s.execute(
                sa.update(Run)
                .where(Run.id == run_id, Run.status.in_(("queued", "running")))
                .values(progress=progress)
            )

    def _claim(self, run_id: int) -> Owner | None:
        """Make this process the run's owner; return the owner of an earlier run of the same
        dataset still under way in another live process (then this run does not start)."""
        with self._sessions.begin() as s:
            run = s.get(Run, run_id)
            if run is None:
                raise UnknownNameError(f"no run with id {run_id}")
            for key, value in self._owner_fields().items():
                setattr(run, key, value)
            dataset_id = run.dataset_id
        self._ensure_heartbeat()
        return self._live_other_run(run_id, dataset_id)

    def _finish(
        self,
        run_id: int,
        outcome: RunOutcome,
        *,
        full_at_version: int | None = None,
        progress: dict[str, Any] | None = None,
    ) -> None:
        with self._sessions.begin() as s:
            run = s.get(Run, run_id)
            assert run is not None
            now = utcnow()
            run.status = outcome.status
            run.started_at = run.started_at or now
            run.finished_at = now
            if progress is not None:
                run.progress = progress
            for attr in (
                "error",
                "error_action",
                "rows_read",
                "rows_written",
                "rows_main",
                "rows_child",
                "rows_deleted",
                "table_rows",
                "warnings",
                "requests",
                "rate_limited",
                "retries",
                "wait_seconds",
                "last_remaining",
                "complete",
                "incomplete_reason",
                "cursor_before",
                "cursor_after",
            ):
                setattr(run, attr, getattr(outcome, attr))
            dataset = s.get(Dataset, run.dataset_id)
            if dataset is not None:
                # a change during the run (version bumped) still needs its own full run
                if full_at_version == dataset.config_version and outcome.status == "succeeded":
                    dataset.force_full = False
                if outcome.rate_budget:
                    self._share_budget(s, dataset.account, outcome.rate_budget)


def _check_trigger(trigger: str, attempt: int) -> None:
    if trigger not in RUN_TRIGGERS:
        raise InvalidOptionError(
            f"invalid run trigger {trigger!r}: use one of {', '.join(RUN_TRIGGERS)}"
        )
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
        raise InvalidOptionError(f"invalid attempt {attempt!r}: give a whole number from 1")


def _failed_before_start(exc: Exception, secrets: tuple[str, ...] = ()) -> RunOutcome:
    if isinstance(exc, BacklogConnectorError):
        return RunOutcome(status="failed", error=redact(str(exc), secrets), error_action=exc.action)
    text = redact(f"{type(exc).__name__}: {exc}", secrets)
    return RunOutcome(status="failed", error=text, error_action="give_up")
