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
from typing import TYPE_CHECKING, Any

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.errors import BacklogConnectorError
from backlog_connector.datasets.connect import open_client
from backlog_connector.reports.base import ProgressEvent, RunContext, UpdateMode
from backlog_connector.sinks.base import SinkRun

if TYPE_CHECKING:
    from backlog_connector.datasets.connect import Credentials
    from backlog_connector.sinks.duckdb import DuckDBSink

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

    def __repr__(self) -> str:
        return f"RunPlan(run_id={self.run_id}, dataset={self.dataset!r}, report={self.report!r})"


@dataclass
class RunOutcome:
    """What a run did; the service stores it in the run's row."""

    status: str = "succeeded"
    error: str | None = None
    error_action: str | None = None
    rows_read: int = 0
    rows_written: int = 0
    rows_deleted: int = 0
    table_rows: int | None = None
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


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def execute(
    plan: RunPlan,
    sink: DuckDBSink,
    *,
    on_start: Callable[[dict[str, Any] | None], None],
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> RunOutcome:
    """Run ``plan`` into ``sink``; never raises for a failed run (the outcome says why)."""
    from backlog_connector.reports.catalog import get_report

    outcome = RunOutcome()
    report = get_report(plan.report)

    def emit(event: ProgressEvent) -> None:
        if cancel is not None and cancel.is_set():
            raise RunCancelled
        if progress is not None:
            progress(plan.dataset, event)

    def listen(event: Any) -> None:
        wait = _wait_seconds(event)
        if wait and progress is not None:
            progress(
                plan.dataset,
                ProgressEvent(
                    kind="wait",
                    message=f"waiting {wait:.1f} s for the rate budget",
                    wait_seconds=wait,
                ),
            )

    sink_run: SinkRun | None = None
    client = open_client(
        plan.address,
        plan.credentials,
        account_name=plan.account,
        user_id=plan.user_id,
        listener=listen,
    )
    try:
        with client:
            try:
                options = report.validate_options(plan.options)
                cursor = None if plan.full else sink.read_state(plan.table)
                outcome.cursor_before = cursor
                on_start(cursor)
                ctx = RunContext(
                    client=client,
                    options=options,
                    space=plan.address.fqdn,
                    mode=UpdateMode(plan.mode),
                    cursor=cursor,
                    progress=emit,
                )
                sink_run = sink.open_run(
                    plan.table, report.tables, ctx.mode, run_id=str(plan.run_id)
                )
                for batch in report.read(ctx):
                    if cancel is not None and cancel.is_set():
                        raise RunCancelled
                    sink_run.write(batch)
                if ctx.deleted_keys:
                    sink_run.delete(ctx.deleted_keys)
                if cancel is not None and cancel.is_set():
                    raise RunCancelled
                stats = sink_run.commit(ctx.new_cursor)
                sink_run = None
                outcome.rows_read = ctx.rows_read
                outcome.rows_written = sum(stats.rows_written.values())
                outcome.rows_deleted = sum(stats.rows_deleted.values())
                outcome.complete = ctx.complete
                outcome.incomplete_reason = ctx.incomplete_reason
                outcome.cursor_after = ctx.new_cursor if ctx.new_cursor is not None else cursor
                outcome.table_rows = sink.row_count(plan.table)
            except RunCancelled:
                outcome.status = "cancelled"
                outcome.error = "cancelled before it finished; the table was left as it was"
            except BacklogConnectorError as exc:
                outcome.status = "failed"
                outcome.error = redact(str(exc), plan.secrets)
                outcome.error_action = exc.action
            except Exception as exc:  # a bug or an unexpected library error: record, not crash
                outcome.status = "failed"
                outcome.error = redact(f"{type(exc).__name__}: {exc}", plan.secrets)
                outcome.error_action = "give_up"
            finally:
                if sink_run is not None:
                    sink_run.abort()
                _collect_stats(client, outcome)
    except Exception as exc:  # closing the client failed: keep what we know
        if outcome.status == "succeeded":
            outcome.status = "failed"
            outcome.error = redact(f"{type(exc).__name__}: {exc}", plan.secrets)
            outcome.error_action = "give_up"
    if outcome.status == "failed":
        log.warning("run %s of %s failed: %s", plan.run_id, plan.dataset, outcome.error)
    else:
        log.info("run %s of %s %s", plan.run_id, plan.dataset, outcome.status)
    return outcome


def _wait_seconds(event: Any) -> float:
    """How long a client event says the client is waiting for the rate budget (0 if not)."""
    kind = str(getattr(event, "kind", "") or type(event).__name__).lower()
    if "wait" not in kind and "budget" not in kind:
        return 0.0
    for attr in ("seconds", "wait_seconds", "delay"):
        value = getattr(event, attr, None)
        if isinstance(value, int | float):
            return float(value)
    return 0.0


def _collect_stats(client: Any, outcome: RunOutcome) -> None:
    stats = getattr(client, "stats", None)
    if stats is None:
        return
    requests = getattr(stats, "requests", {}) or {}
    outcome.requests = {str(k): int(v) for k, v in dict(requests).items()}
    outcome.rate_limited = int(getattr(stats, "rate_limited", 0) or 0)
    outcome.retries = int(getattr(stats, "retries", 0) or 0)
    outcome.wait_seconds = float(getattr(stats, "wait_seconds", 0.0) or 0.0)
    remaining = getattr(stats, "last_remaining", {}) or {}
    outcome.last_remaining = {str(k): int(v) for k, v in dict(remaining).items()}
    limits = dict(getattr(stats, "last_limit", {}) or {})
    resets = dict(getattr(stats, "last_reset", {}) or {})
    seen_at = datetime.now(UTC).isoformat()
    outcome.rate_budget = {
        category: {
            "limit": limits.get(category),
            "remaining": value,
            "reset": _iso(resets.get(category)),
            "seen_at": seen_at,
        }
        for category, value in outcome.last_remaining.items()
    }


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).isoformat()
    return None
