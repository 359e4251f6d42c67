"""Helpers for running reports against the emulator (over loopback) into a real DuckDB file."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.client import BacklogClient
from backlog_connector.backlog.credentials import ApiKey
from backlog_connector.backlog.retry import RetryPolicy
from backlog_connector.emulator import Emulator
from backlog_connector.reports.base import RunContext, UpdateMode
from backlog_connector.reports.catalog import get_report
from backlog_connector.sinks.base import WriteStats
from backlog_connector.sinks.duckdb import DuckDBSink

_run_ids = itertools.count(1)


def client_for(emu: Emulator, role: str = "admin") -> BacklogClient:
    """A real client of ``emu`` (no retry waits)."""
    return BacklogClient(
        SpaceAddress.parse_base_url(emu.base_url),
        ApiKey(emu.api_keys[role]),
        account_name=f"test-{role}",
        retry=RetryPolicy(testing=True),
    )


@dataclass
class Synced:
    """One finished run: its context (cursor, completeness, deletions) and the sink's stats."""

    ctx: RunContext
    stats: WriteStats
    batches: int


def sync(
    client: BacklogClient,
    sink: DuckDBSink,
    report_name: str,
    *,
    table: str | None = None,
    options: Mapping[str, str] | None = None,
    mode: str | None = None,
    full: bool = False,
) -> Synced:
    """Run a report into ``sink`` the way the control plane's runner does."""
    report = get_report(report_name)
    base = table or report_name
    ctx = RunContext(
        client=client,
        options=report.validate_options(dict(options or {})),
        space=client.address.fqdn,
        mode=UpdateMode(mode) if mode else report.default_update_mode,
        cursor=None if full else sink.read_state(base),
    )
    run = sink.open_run(base, report.tables, ctx.mode, run_id=f"run-{next(_run_ids)}")
    batches = 0
    try:
        for batch in report.read(ctx):
            run.write(batch)
            batches += 1
        if ctx.deleted_keys:
            run.delete(ctx.deleted_keys)
        stats = run.commit(ctx.new_cursor)
    except BaseException:
        run.abort()
        raise
    return Synced(ctx, stats, batches)


@pytest.fixture(scope="session")
def admin(emulator: Emulator) -> Iterator[BacklogClient]:
    """The admin's client of the shared (read-only) emulator."""
    with client_for(emulator) as client:
        yield client


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[DuckDBSink]:
    """A fresh DuckDB file."""
    sink = DuckDBSink(tmp_path / "warehouse.duckdb")
    yield sink
    sink.close()


def table_rows(sink: DuckDBSink, table: str, *key: str) -> list[dict[str, Any]]:
    """Every row of ``table`` as a dict, sorted by the ``key`` columns."""
    found: list[dict[str, Any]] = sink.preview(table, limit=10_000_000).to_pylist()
    return sorted(found, key=lambda r: tuple(r[k] for k in key)) if key else found


DUCKDB_TYPES = {
    "int64": "BIGINT",
    "string": "VARCHAR",
    "double": "DOUBLE",
    "bool": "BOOLEAN",
    "date32[day]": "DATE",
    "timestamp[s, tz=UTC]": "TIMESTAMP WITH TIME ZONE",
    "list<item: int64>": "BIGINT[]",
}


def assert_declared_types(sink: DuckDBSink, report_name: str, table: str) -> None:
    """Every declared column of every table of the report has the matching DuckDB type."""
    for spec in get_report(report_name).tables:
        name = f"{table}__{spec.suffix}" if spec.suffix else table
        described = dict(sink.describe(name))
        for column in spec.schema:
            assert described[column.name] == DUCKDB_TYPES[str(column.type)], (name, column.name)
