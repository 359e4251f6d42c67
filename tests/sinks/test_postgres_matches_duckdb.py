"""Every report lands in PostgreSQL exactly as in DuckDB, and merge stays exact after changes
and deletions: the same report read from the emulator into both sinks, compared row for row."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.client import BacklogClient
from backlog_connector.backlog.credentials import ApiKey
from backlog_connector.backlog.retry import RetryPolicy
from backlog_connector.emulator import Emulator
from backlog_connector.reports.base import RunContext, UpdateMode
from backlog_connector.reports.catalog import REPORTS, get_report
from backlog_connector.sinks.base import Sink, table_name
from backlog_connector.sinks.duckdb import DuckDBSink
from backlog_connector.sinks.postgres import PostgresSink

#: values that change between two reads of the same space (the budget is being spent)
VOLATILE = {"rate_limit": {"remaining", "reset", "fetched_at"}}


def _client(emulator: Emulator) -> BacklogClient:
    return BacklogClient(
        SpaceAddress.parse_base_url(emulator.base_url),
        ApiKey(emulator.api_keys["admin"]),
        account_name="compare",
        retry=RetryPolicy(testing=True),
    )


def _sync(sink: Sink, client: BacklogClient, report_name: str, mode: UpdateMode, run: str) -> None:
    report = get_report(report_name)
    state = sink.read_state(report_name)
    ctx = RunContext(
        client=client,
        options=report.validate_options({}),
        space=client.address.fqdn,
        mode=mode,
        cursor=state,
    )
    sink_run = sink.open_run(report_name, report.tables, mode, run_id=run, full=state is None)
    try:
        for batch in report.read(ctx):
            sink_run.write(batch)
        if ctx.deleted_keys:
            sink_run.delete(ctx.deleted_keys)
        sink_run.commit(ctx.new_cursor)
    except BaseException:
        sink_run.abort()
        raise


def _table(sink: Sink, name: str, skip: set[str]) -> tuple[list[str], list[tuple[Any, ...]]]:
    data = sink.preview(name, 10_000_000)
    columns = sorted(c for c in data.column_names if c not in skip)
    picked = data.select(columns).to_pylist()
    return columns, sorted((tuple(row[c] for c in columns) for row in picked), key=repr)


def _assert_same(duck: Sink, pg: Sink, report_name: str) -> int:
    report = get_report(report_name)
    compared = 0
    for spec in report.tables:
        name = table_name(report_name, spec.suffix)
        skip = VOLATILE.get(report_name, set()) | {"_loaded_at"}
        d_cols, d_rows = _table(duck, name, skip)
        p_cols, p_rows = _table(pg, name, skip)
        assert p_cols == d_cols, name
        assert p_rows == d_rows, name
        assert pg.read_state(report_name) == duck.read_state(report_name)
        compared += len(d_rows)
    return compared


@pytest.fixture
def sinks(tmp_path: Path, sink_database: str, pg_schema: str) -> Iterator[tuple[Sink, Sink]]:
    duck = DuckDBSink(tmp_path / "warehouse.duckdb")
    pg = PostgresSink(sink_database, pg_schema)
    yield duck, pg
    duck.close()
    pg.close()


def test_every_report_lands_in_postgresql_as_in_duckdb(
    emulator: Emulator, sinks: tuple[Sink, Sink]
) -> None:
    duck, pg = sinks
    with _client(emulator) as client:
        for name, report in REPORTS.items():
            mode = UpdateMode(report.default_update_mode)
            for sink in (duck, pg):
                _sync(sink, client, name, mode, run=f"{name}-1")
            compared = _assert_same(duck, pg, name)
            assert compared > 0 or name in ("teams",), name


def test_merge_after_changes_and_deletions_is_exact_in_both(
    make_emulator: Any, sinks: tuple[Sink, Sink], tmp_path: Path
) -> None:
    emu = make_emulator(issues=400, projects=2)
    duck, pg = sinks
    with _client(emu) as client:
        for sink in (duck, pg):
            _sync(sink, client, "issues", UpdateMode.MERGE, run="first")
        ids = sorted(emu.state.issues)
        for issue_id in ids[:15]:
            client.patch(f"/issues/{issue_id}", {"summary": f"changed {issue_id}"})
        for issue_id in ids[-5:]:
            client.delete(f"/issues/{issue_id}", {})
        for sink in (duck, pg):
            _sync(sink, client, "issues", UpdateMode.MERGE, run="second")
        assert _assert_same(duck, pg, "issues") > 0
        assert pg.row_count("issues") == len(emu.state.issues) == len(ids) - 5

        # and both equal a fresh full run of the same space
        with DuckDBSink(tmp_path / "fresh.duckdb") as fresh:
            _sync(fresh, client, "issues", UpdateMode.MERGE, run="fresh")
            for spec in get_report("issues").tables:
                name = table_name("issues", spec.suffix)
                assert _table(pg, name, set()) == _table(fresh, name, set()), name
