"""The sink fed by a real report: the issues report read over loopback from the emulator."""

from __future__ import annotations

from pathlib import Path

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.client import BacklogClient
from backlog_connector.backlog.credentials import ApiKey
from backlog_connector.backlog.retry import RetryPolicy
from backlog_connector.emulator import Emulator
from backlog_connector.reports.base import RunContext, UpdateMode
from backlog_connector.reports.catalog import get_report
from backlog_connector.sinks.base import WriteStats
from backlog_connector.sinks.duckdb import DuckDBSink, open_read_only
from backlog_connector.sinks.naming import dataset_table_name


def _sync(sink: DuckDBSink, client: BacklogClient, base: str, mode: UpdateMode) -> WriteStats:
    report = get_report("issues")
    ctx = RunContext(
        client=client,
        options=report.validate_options({}),
        space=client.address.fqdn,
        mode=mode,
        cursor=sink.read_state(base),
    )
    run = sink.open_run(base, report.tables, mode, run_id=f"{base}-{mode}")
    try:
        for batch in report.read(ctx):
            run.write(batch)
        if ctx.deleted_keys:
            run.delete(ctx.deleted_keys)
        return run.commit(ctx.new_cursor)
    except BaseException:
        run.abort()
        raise


def test_issues_report_into_duckdb(emulator: Emulator, tmp_path: Path) -> None:
    base = dataset_table_name("Backlog Issues")
    client = BacklogClient(
        SpaceAddress.parse_base_url(emulator.base_url),
        ApiKey(emulator.api_keys["admin"]),
        account_name="sink-test",
        retry=RetryPolicy(testing=True),
    )
    path = tmp_path / "warehouse.duckdb"
    with client, DuckDBSink(path) as sink:
        first = _sync(sink, client, base, UpdateMode.REPLACE)
        issues = len(emulator.state.issues)
        assert first.rows_written[base] == sink.row_count(base) == issues
        types = dict(sink.describe(base))
        assert types["id"] == "BIGINT"
        assert types["created"] == types["updated"] == "TIMESTAMP WITH TIME ZONE"
        assert types["due_date"] == "DATE"
        state = sink.read_state(base)
        assert state  # the report's cursor was committed with the rows

        # the next merge run starts from that cursor and leaves the same table
        again = _sync(sink, client, base, UpdateMode.MERGE)
        assert sink.row_count(base) == issues
        assert sum(again.rows_written.values()) <= sum(first.rows_written.values())
        children = [t for t in sink.list_tables() if t.startswith(f"{base}__")]
        assert children

    with open_read_only(path) as reader:
        assert reader.row_count(base) == issues
    with DuckDBSink(path) as sink:
        assert sink.drop(base) == sorted([base, *children])
        assert sink.list_tables() == []
