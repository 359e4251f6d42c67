"""Rows of the control-plane database as the plain ``info`` dataclasses (no secrets)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backlog_connector.datasets.info import (
    ROLE_NAMES,
    AccountInfo,
    DatasetInfo,
    DestinationInfo,
    OptionInfo,
    ReportInfo,
    RunInfo,
)

if TYPE_CHECKING:  # the CLI's quick listings pass plain rows of the same names (no SQLAlchemy)
    from backlog_connector.datasets.models import Account, Dataset, Destination, Run

#: the name of the embedded DuckDB destination (datasets without a saved destination)
WAREHOUSE = "warehouse"


def account_info(row: Account) -> AccountInfo:
    """An account without its credentials, with the names of the datasets that use it."""
    return AccountInfo(
        name=row.name,
        space=row.space,
        base_url=row.base_url,
        auth=row.auth_kind,
        api_key_in_query=row.api_key_in_query,
        user_id=row.user_id,
        user_login=row.user_login,
        user_name=row.user_name,
        user_role=row.user_role,
        user_role_name=ROLE_NAMES.get(row.user_role) if row.user_role is not None else None,
        space_key=row.space_key,
        space_name=row.space_name,
        space_timezone=row.space_timezone,
        verified_at=row.verified_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        datasets=tuple(sorted(d.name for d in row.datasets)),
    )


def run_info(row: Run, dataset: str) -> RunInfo:
    """A run of the dataset named ``dataset``."""
    return RunInfo(
        id=row.id,
        dataset=dataset,
        trigger=row.trigger,
        attempt=row.attempt,
        status=row.status,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        rows_read=row.rows_read or 0,
        rows_written=row.rows_written or 0,
        rows_deleted=row.rows_deleted or 0,
        rows_main=row.rows_main,
        rows_child=row.rows_child,
        table_rows=row.table_rows,
        warnings=row.warnings or 0,
        requests={str(k): int(v) for k, v in (row.requests or {}).items()},
        rate_limited=row.rate_limited or 0,
        retries=row.retries or 0,
        wait_seconds=float(row.wait_seconds or 0.0),
        last_remaining={str(k): int(v) for k, v in (row.last_remaining or {}).items()},
        complete=row.complete,
        incomplete_reason=row.incomplete_reason,
        error=row.error,
        error_action=row.error_action,
        cursor_before=row.cursor_before,
        cursor_after=row.cursor_after,
        progress=row.progress,
        queue_job_id=row.queue_job_id,
        note=row.note,
        owner=f"{row.owner_host} pid {row.owner_pid}" if row.owner_host else None,
    )


def dataset_info(
    row: Dataset, last_run: Run | None, rows: int | None, webhook_url: str | None = None
) -> DatasetInfo:
    """A dataset with its effective time zone (its own, else the space's, else UTC);
    ``webhook_url`` is the unsealed URL (the row holds it encrypted)."""
    return DatasetInfo(
        name=row.name,
        description=row.description,
        account=row.account.name,
        report=row.report,
        options=dict(row.options or {}),
        update_mode=row.update_mode,
        schedule=row.schedule,
        timezone=row.timezone or row.account.space_timezone or "UTC",
        retries=row.retries,
        retry_interval=row.retry_interval,
        retry_interval_seconds=row.retry_interval_seconds,
        table=row.table_name,
        webhook_url=webhook_url,
        enabled=row.enabled,
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_run=run_info(last_run, row.name) if last_run is not None else None,
        rows=rows,
        destination=row.destination.name if row.destination is not None else WAREHOUSE,
        publish=row.publish,
    )


def destination_info(row: Destination) -> DestinationInfo:
    """A saved destination without its password, with the datasets that land there."""
    return DestinationInfo(
        name=row.name,
        kind=row.kind,
        url=row.url_display,
        schema=row.schema_name,
        path=None,
        created_at=row.created_at,
        updated_at=row.updated_at,
        verified_at=row.verified_at,
        datasets=tuple(sorted(d.name for d in row.datasets)),
    )


def report_catalog() -> list[ReportInfo]:
    """The report catalog as plain data (static: needs no control plane)."""
    from backlog_connector.reports.catalog import REPORTS

    return [report_info(r) for r in REPORTS.values()]


def report_info(report: Any) -> ReportInfo:
    """A catalog report as plain data."""
    return ReportInfo(
        name=report.name,
        title=report.title,
        description=report.description,
        options=tuple(
            OptionInfo(
                name=o.name,
                description=o.description,
                kind=o.kind,
                choices=tuple(o.choices),
                default=_plain_default(o.default),
                required=o.required,
            )
            for o in report.options
        ),
        tables=tuple(t.suffix for t in report.tables),
        key=tuple(report.key),
        update_modes=tuple(str(m) for m in report.update_modes),
        default_update_mode=str(report.default_update_mode),
        incremental=bool(report.incremental),
    )


def _plain_default(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_plain_default(v) for v in value]
    return str(value)
