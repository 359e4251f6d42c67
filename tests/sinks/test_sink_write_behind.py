"""Batches of a known schema are staged by a helper thread; its failures still roll back."""

from __future__ import annotations

from typing import Any

import pytest
from sinkdata import TABLES, issues, rows

from backlog_connector.reports.base import UpdateMode
from backlog_connector.sinks import duckdb_rows
from backlog_connector.sinks.duckdb import DuckDBSink
from backlog_connector.sinks.duckdb_staging import staging_files
from backlog_connector.sinks.errors import RunFinishedError, WarehouseError


@pytest.mark.duckdb_only  # PostgreSQL: see test_postgres_sink
def test_a_failed_queued_insert_surfaces_at_the_next_call_and_rolls_back(
    sink: DuckDBSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = sink.open_run("issues", TABLES, UpdateMode.MERGE, run_id="r1")
    run.write(issues([1, 2]))
    run.commit({"n": 1})
    before = rows(sink, "issues"), sink.read_state("issues")

    calls = []
    original = duckdb_rows.StagedRows.write

    def failing(self: Any, *args: Any) -> None:
        calls.append(args)
        if len(calls) == 2:
            raise OSError("disk went away")
        original(self, *args)

    monkeypatch.setattr(duckdb_rows.StagedRows, "write", failing)
    run = sink.open_run("issues", TABLES, UpdateMode.MERGE, run_id="r2")
    run.write(issues([3]))
    run.write(issues([4]))  # queued; fails on the helper thread
    with pytest.raises(WarehouseError, match="disk went away"):
        run.commit({"n": 2})
    with pytest.raises(RunFinishedError):
        run.write(issues([99]))
    assert (rows(sink, "issues"), sink.read_state("issues")) == before
    assert staging_files(sink.path) == []


def test_many_queued_batches_all_arrive(sink: DuckDBSink) -> None:
    run = sink.open_run("issues", TABLES, UpdateMode.MERGE, run_id="r1", full=True)
    for n in range(0, 3000, 100):
        run.write(issues(range(n, n + 100)))
    stats = run.commit(None)
    assert stats.rows_written == {"issues": 3000}
    assert [r[0] for r in rows(sink, "issues", "id")] == list(range(3000))
