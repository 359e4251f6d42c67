"""One run: the dataset's report, read through the account's client, into the sink.

The runner knows nothing of the control-plane database: the service hands it a ``RunPlan``
and records the ``RunOutcome`` it returns.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.errors import BacklogConnectorError, CancelledError
from backlog_connector.backlog.stats import Event, RequestStats, Retrying, WaitingForBudget
from backlog_connector.datasets.connect import open_client
from backlog_connector.datasets.previous import previous_rows
from backlog_connector.reports.arrow_memory import use_system_pool
from backlog_connector.reports.base import ProgressEvent, RunContext, TableBatch, UpdateMode
from backlog_connector.reports.rejects import (
    REJECTS_SUFFIX,
    RejectLog,
    collecting,
    rejects_batch,
    rejects_spec,
)
from backlog_connector.reports.values import dates_in_zone
from backlog_connector.sinks.base import Sink, SinkRun, WriteStats

if TYPE_CHECKING:
    from backlog_connector.backlog.ledger import RateLedger
    from backlog_connector.datasets.connect import Credentials

__all__ = ["Progress", "ProgressEvent", "RunCancelled", "RunOutcome", "RunPlan", "execute"]

log = logging.getLogger("backlog_connector.datasets")

#: receives (dataset name, event) while runs are under way
Progress = Callable[[str, ProgressEvent], None]


class RunCancelled(Exception):
    """The run was asked to stop (the ``cancel`` event was set)."""


@dataclass(frozen=True)
class RunPlan:
    """Everything a run needs, resolved by the service (credentials decrypted)."""

    run_id: int
    dataset: str
    account: str
    report: str
    options: dict[str, str]
    mode: str
    table: str
    full: bool
    address: SpaceAddress
    credentials: Credentials
    user_id: int | None
    secrets: tuple[str, ...]  # strings to redact from any error text
    config_version: int = 0  # the dataset's ``config_version`` when the run was planned
    #: where a successful run also writes its table as Parquet (``--publish parquet``)
    publish_to: Path | None = None
    dataset_id: int = 0
    space_timezone: str | None = None  # the space's zone: its midnights are date-only values

    def __repr__(self) -> str:
        return f"RunPlan(run_id={self.run_id}, dataset={self.dataset!r}, report={self.report!r})"


@dataclass
class RunOutcome:
    """What a run did; the service stores it in the run's row."""

    status: str = "succeeded"
    error: str | None = None
    error_action: str | None = None
    rows_read: int = 0
    rows_written: int = 0  # rows_main + rows_child
    rows_main: int = 0  # rows written to the main table
    rows_child: int = 0  # rows written to the child tables (``__rejects`` included)
    rows_deleted: int = 0
    table_rows: int | None = None
    warnings: int = 0
    requests: dict[str, int] = field(default_factory=dict)
    rate_limited: int = 0
    retries: int = 0
    wait_seconds: float = 0.0
    last_remaining: dict[str, int] = field(default_factory=dict)
    rate_budget: dict[str, Any] = field(default_factory=dict)
    complete: bool | None = None
    incomplete_reason: str | None = None
    cursor_before: dict[str, Any] | None = None
    cursor_after: dict[str, Any] | None = None


def redact(text: str, secrets: tuple[str, ...], credentials: Credentials | None = None) -> str:
    """``text`` with every secret (those given, the credentials' current ones: tokens refreshed
    mid-run too) and every secret query value (``apiKey=...``) replaced by ``***``."""
    from backlog_connector.backlog.redact import Redactor

    known = [*secrets, *(credentials.secrets() if credentials is not None else ())]
    return Redactor(known)(text)


def execute(
    plan: RunPlan,
    sink: Sink,
    *,
    on_start: Callable[[dict[str, Any] | None], None],
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    ledger: RateLedger | None = None,
) -> RunOutcome:
    """Run ``plan`` into ``sink``; never raises for a failed run (the outcome says why).
    ``ledger``: the shared rate budget (None: the in-process pacing)."""
    from backlog_connector.reports.catalog import get_report

    outcome = RunOutcome()
    report = get_report(plan.report)

    def emit(event: ProgressEvent) -> None:
        if cancel is not None and cancel.is_set():
            raise RunCancelled
        if progress is not None:
            progress(plan.dataset, event)

    def waited(message: str) -> None:  # the sink waits for readers to let go of its tables
        if cancel is not None and cancel.is_set():
            raise RunCancelled  # ends the wait; the run rolls back
        if progress is not None:
            progress(plan.dataset, ProgressEvent(kind="wait", message=message))

    def listen(event: Event) -> None:
        if progress is None:
            return
        if isinstance(event, WaitingForBudget):
            progress(
                plan.dataset,
                ProgressEvent(
                    kind="wait",
                    message=f"waiting {event.seconds:.1f} s for the {event.category} rate budget",
                    wait_seconds=event.seconds,
                    category=event.category,
                ),
            )
        elif isinstance(event, Retrying):
            progress(
                plan.dataset,
                ProgressEvent(
                    kind="note",
                    message=f"attempt {event.attempt} failed; retrying in {event.delay:.1f} s",
                ),
            )

    sink_run: SinkRun | None = None
    ctx: RunContext | None = None
    keep_progress = False
    client = open_client(
        plan.address,
        plan.credentials,
        account_name=plan.account,
        user_id=plan.user_id,
        listener=listen,
        cancel=cancel,
        ledger=ledger,
    )
    try:
        with client:
            try:
                options = report.validate_options(plan.options)
                cursor = None if plan.full else sink.read_state(plan.table)
                # a failed run may keep its checkpoint unless that would rebuild a table
                # with part of the rows (a full run over an existing table)
                keep_progress = ctx_mode_is_merge(plan.mode) and (
                    cursor is not None or plan.table not in sink.list_tables()
                )
                outcome.cursor_before = cursor
                on_start(cursor)
                ctx = RunContext(
                    client=client,
                    options=options,
                    space=plan.address.fqdn,
                    mode=UpdateMode(plan.mode),
                    cursor=cursor,
                    progress=emit,
                    previous=previous_rows(sink, plan.table),
                )
                # values that do not parse go to <table>__rejects, with the main table's key
                rejected = rejects_spec(report.tables[0])
                # no cursor: the report reads every row, so a merge may rebuild the tables
                sink_run = sink.open_run(
                    plan.table,
                    (*report.tables, rejected),
                    ctx.mode,
                    run_id=str(plan.run_id),
                    full=cursor is None,
                    on_wait=waited,
                )
                refused = RejectLog()
                use_system_pool()
                with collecting(refused), dates_in_zone(plan.space_timezone):
                    for batch in report.read(ctx):
                        if cancel is not None and cancel.is_set():
                            raise RunCancelled
                        sink_run.write(batch)
                if refused.kept:
                    batch = rejects_batch(refused, rejected, plan.address.fqdn)
                    sink_run.write(TableBatch(REJECTS_SUFFIX, batch))
                outcome.warnings = refused.count
                if ctx.deleted_keys:
                    sink_run.delete(ctx.deleted_keys)
                if cancel is not None and cancel.is_set():
                    raise RunCancelled
                stats = sink_run.commit(ctx.new_cursor)
                sink_run = None
                outcome.rows_read = ctx.rows_read
                _count_rows(stats, plan.table, outcome)
                outcome.rows_deleted = sum(stats.rows_deleted.values())
                outcome.complete = ctx.complete
                outcome.incomplete_reason = ctx.incomplete_reason
                outcome.cursor_after = ctx.new_cursor if ctx.new_cursor is not None else cursor
                outcome.table_rows = sink.row_count(plan.table)
                if plan.publish_to is not None:
                    _publish(sink, plan, progress)
            except (RunCancelled, CancelledError):
                outcome.status = "cancelled"
                outcome.error = "cancelled before it finished; the table was left as it was"
            except BacklogConnectorError as exc:
                outcome.status = "failed"
                outcome.error = redact(str(exc), plan.secrets, plan.credentials)
                outcome.error_action = exc.action
                if keep_progress and sink_run is not None and ctx is not None:
                    sink_run = _keep_checkpoint(sink_run, ctx, outcome, plan.table)
            except Exception as exc:  # a bug or an unexpected library error: record, not crash
                outcome.status = "failed"
                text = f"{type(exc).__name__}: {exc}"
                outcome.error = redact(text, plan.secrets, plan.credentials)
                outcome.error_action = "give_up"
            finally:
                if sink_run is not None:
                    sink_run.abort()
                _collect_stats(client.stats, outcome)
    except Exception as exc:  # closing the client failed: keep what we know
        if outcome.status == "succeeded":
            outcome.status = "failed"
            outcome.error = redact(f"{type(exc).__name__}: {exc}", plan.secrets, plan.credentials)
            outcome.error_action = "give_up"
    if outcome.status == "failed":
        log.warning("run %s of %s failed: %s", plan.run_id, plan.dataset, outcome.error)
    else:
        log.info("run %s of %s %s", plan.run_id, plan.dataset, outcome.status)
    return outcome


def _publish(sink: Sink, plan: RunPlan, progress: Progress | None) -> None:
    """Write the committed table to ``plan.publish_to`` (a temporary file renamed over it, so
    readers of the file see the old one or the new one). A failure is logged and shown; the
    run itself has succeeded and the previous file stays."""
    assert plan.publish_to is not None
    try:
        plan.publish_to.parent.mkdir(parents=True, exist_ok=True)
        sink.export(plan.table, "parquet", plan.publish_to)
    except (OSError, BacklogConnectorError) as exc:
        log.warning("run %s of %s: could not publish %s: %s", plan.run_id, plan.dataset,
                    plan.publish_to, exc)  # fmt: skip
        if progress is not None:
            note = f"could not publish {plan.publish_to.name}: {exc}"
            progress(plan.dataset, ProgressEvent(kind="note", message=note))


def ctx_mode_is_merge(mode: str) -> bool:
    """Whether runs of this update mode may keep a checkpoint (merge: rows are upserted)."""
    return mode == UpdateMode.MERGE.value


def _keep_checkpoint(
    sink_run: SinkRun, ctx: RunContext, outcome: RunOutcome, table: str
) -> SinkRun | None:
    """Commit the rows a failed run's checkpoint describes; None once committed (the caller
    then has nothing to abort), the run unchanged when there is nothing to keep."""
    if ctx.checkpoint is None or not sink_run.supports_checkpoints:
        return sink_run
    try:
        stats = sink_run.commit_checkpoint(ctx.checkpoint)
    except BacklogConnectorError as exc:  # the run rolled itself back: nothing was kept
        log.warning("could not keep the progress of a failed run: %s", exc)
        return None
    _count_rows(stats, table, outcome)
    outcome.rows_read = ctx.rows_read
    outcome.cursor_after = ctx.checkpoint
    outcome.error = f"{outcome.error}; {ctx.checkpoint_note or 'its progress was kept'}"
    return None


def _count_rows(stats: WriteStats, table: str, outcome: RunOutcome) -> None:
    """Rows written, of the main table (``table``) and of its children apart."""
    main = sum(n for name, n in stats.rows_written.items() if name.lower() == table.lower())
    outcome.rows_written = sum(stats.rows_written.values())
    outcome.rows_main = main
    outcome.rows_child = outcome.rows_written - main


def _collect_stats(stats: RequestStats, outcome: RunOutcome) -> None:
    data = stats.as_dict()  # a consistent copy (the client may still be counting)
    outcome.requests = dict(data["requests"])
    outcome.rate_limited = data["rate_limited"]
    outcome.retries = data["retries"]
    outcome.wait_seconds = data["wait_seconds"]
    outcome.last_remaining = dict(data["last_remaining"])
    seen_at = datetime.now(UTC).isoformat()
    outcome.rate_budget = {
        category: {
            "remaining": remaining,
            "reset": _iso(data["last_reset"].get(category)),
            "seen_at": seen_at,
        }
        for category, remaining in outcome.last_remaining.items()
    }


def _iso(epoch: int | None) -> str | None:
    return datetime.fromtimestamp(epoch, UTC).isoformat() if epoch is not None else None
