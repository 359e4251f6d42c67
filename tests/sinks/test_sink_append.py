"""Append: rows carry _run_id and _loaded_at; a retry of the same run never duplicates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sinkdata import TABLES, custom_fields, issues, rows, sql_type

from backlog_connector.reports.base import UpdateMode
from backlog_connector.sinks.duckdb import DuckDBSink
from backlog_connector.sinks.errors import BadBatchError, RunFinishedError

APPEND = UpdateMode.APPEND


def _append(sink: DuckDBSink, run_id: str, ids: list[int]) -> None:
    run = sink.open_run("issues", TABLES, APPEND, run_id=run_id)
    run.write(issues(ids))
    run.write(custom_fields([(i, 1) for i in ids]))
    run.commit({"run": run_id})


def test_append_adds_rows_with_run_columns(sink: DuckDBSink) -> None:
    started = datetime.now(UTC)
    _append(sink, "r1", [1, 2])
    _append(sink, "r2", [2, 3])
    assert rows(sink, "issues", "id", "_run_id") == [(1, "r1"), (2, "r1"), (2, "r2"), (3, "r2")]
    assert rows(sink, "issues__custom_fields", "issue_id", "_run_id") == [
        (1, "r1"),
        (2, "r1"),
        (2, "r2"),
        (3, "r2"),
    ]
    types = dict(sink.describe("issues"))
    assert types["_run_id"] == sql_type(sink, "VARCHAR")
    assert types["_loaded_at"] == sql_type(sink, "TIMESTAMP WITH TIME ZONE")
    loaded = {r["_loaded_at"] for r in sink.preview("issues", 10).to_pylist()}
    assert len(loaded) == 2
    assert all(started <= t <= datetime.now(UTC) for t in loaded)


def test_retrying_the_same_run_id_does_not_duplicate(sink: DuckDBSink) -> None:
    _append(sink, "r1", [1, 2])
    _append(sink, "r2", [3])
    _append(sink, "r2", [3])  # the control plane retries a run that had in fact committed
    assert rows(sink, "issues", "id", "_run_id") == [(1, "r1"), (2, "r1"), (3, "r2")]
    assert sink.row_count("issues__custom_fields") == 3


def test_a_retry_replaces_what_the_earlier_attempt_committed(sink: DuckDBSink) -> None:
    _append(sink, "r1", [1, 2, 3])
    _append(sink, "r1", [1, 2])
    assert rows(sink, "issues", "id") == [(1,), (2,)]


def test_append_onto_a_replaced_table_adds_the_run_columns(sink: DuckDBSink) -> None:
    run = sink.open_run("issues", TABLES, UpdateMode.REPLACE, run_id="full")
    run.write(issues([1]))
    run.commit(None)
    run = sink.open_run("issues", TABLES, APPEND, run_id="r2")
    run.write(issues([2]))
    stats = run.commit(None)
    assert stats.columns_added["issues"] == ["_run_id", "_loaded_at"]
    assert rows(sink, "issues", "id", "_run_id") == [(1, None), (2, "r2")]


def test_delete_is_refused_in_append_mode_and_rolls_back(sink: DuckDBSink) -> None:
    _append(sink, "r1", [1])
    run = sink.open_run("issues", TABLES, APPEND, run_id="r2")
    run.write(issues([5]))
    with pytest.raises(BadBatchError, match="merge"):
        run.delete([(1,)])
    with pytest.raises(RunFinishedError):
        run.commit(None)
    assert rows(sink, "issues", "id") == [(1,)]


def test_batches_must_not_carry_the_run_columns(sink: DuckDBSink) -> None:
    run = sink.open_run("issues", TABLES, APPEND, run_id="r1")
    import pyarrow as pa

    with pytest.raises(BadBatchError, match="_run_id"):
        run.write(issues([1], _run_id=pa.array(["x"])))
