"""Replace: the new table appears at commit, exactly as the run wrote it; types are kept."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
from sinkdata import MAIN, T0, TABLES, custom_fields, issues, rows, sql_type

from backlog_connector.reports.base import TableBatch, UpdateMode
from backlog_connector.sinks.duckdb import DuckDBSink
from backlog_connector.sinks.errors import BadBatchError, RunFinishedError, UnknownTableError

REPLACE = UpdateMode.REPLACE


def test_types_are_mapped_and_kept(sink: DuckDBSink) -> None:
    run = sink.open_run("issues", TABLES, REPLACE, run_id="r1")
    run.write(issues([1]))
    run.commit(None)
    assert sink.describe("issues") == [
        ("id", sql_type(sink, "BIGINT")),
        ("summary", sql_type(sink, "VARCHAR")),
        ("updated", sql_type(sink, "TIMESTAMP WITH TIME ZONE")),
        ("due_date", sql_type(sink, "DATE")),
        ("_space", sql_type(sink, "VARCHAR")),
    ]
    row = sink.preview("issues", 1).to_pylist()[0]
    assert row["updated"] == T0.replace(minute=31)
    assert row["updated"].utcoffset().total_seconds() == 0
    assert row["due_date"] == date(2024, 2, 2)
    assert sink.preview("issues").schema.field("updated").type == pa.timestamp("us", tz="UTC")


def test_replace_swaps_contents_and_columns(sink: DuckDBSink) -> None:
    run = sink.open_run("issues", TABLES, REPLACE, run_id="r1")
    run.write(issues([1, 2, 3], cf_extra=pa.array(["a", "b", "c"])))
    run.write(custom_fields([(1, 10), (2, 10)]))
    stats = run.commit(None)
    assert stats.rows_written == {"issues": 3, "issues__custom_fields": 2}
    assert stats.columns_added == {"issues": ["cf_extra"]}
    assert "cf_extra" in dict(sink.describe("issues"))

    run = sink.open_run("issues", TABLES, REPLACE, run_id="r2")
    run.write(issues([4, 5], summary="new"))
    run.commit(None)
    assert rows(sink, "issues", "id", "summary") == [(4, "new4"), (5, "new5")]
    assert sink.row_count("issues__custom_fields") == 0
    # replace = exactly the new data's columns: the declared schema, without the old extra
    assert [c for c, _ in sink.describe("issues")] == MAIN.schema.names


def test_empty_replace_leaves_an_empty_table_with_the_declared_schema(sink: DuckDBSink) -> None:
    run = sink.open_run("issues", TABLES, REPLACE, run_id="r1")
    run.write(issues([1, 2]))
    run.commit(None)
    sink.open_run("issues", TABLES, REPLACE, run_id="r2").commit(None)
    assert sink.row_count("issues") == 0
    assert [c for c, _ in sink.describe("issues")] == MAIN.schema.names


def test_nothing_is_visible_before_commit(sink: DuckDBSink) -> None:
    run = sink.open_run("issues", TABLES, REPLACE, run_id="r1")
    run.write(issues([1, 2]))
    run.commit(None)

    run = sink.open_run("issues", TABLES, REPLACE, run_id="r2")
    run.write(issues(range(10, 20)))
    assert rows(sink, "issues", "id") == [(1,), (2,)]
    run.commit(None)
    assert sink.row_count("issues") == 10


def test_abort_keeps_the_previous_table(sink: DuckDBSink) -> None:
    run = sink.open_run("issues", TABLES, REPLACE, run_id="r1")
    run.write(issues([1, 2]))
    run.commit(None)
    before = rows(sink, "issues")

    run = sink.open_run("issues", TABLES, REPLACE, run_id="r2")
    run.write(issues([7, 8, 9], extra=pa.array([1, 2, 3])))
    run.abort()
    run.abort()  # idempotent
    assert rows(sink, "issues") == before
    assert [c for c, _ in sink.describe("issues")] == MAIN.schema.names


def test_aborted_first_run_creates_nothing(sink: DuckDBSink) -> None:
    run = sink.open_run("issues", TABLES, REPLACE, run_id="r1")
    run.write(issues([1]))
    run.abort()
    assert sink.list_tables() == []
    with pytest.raises(UnknownTableError):
        sink.row_count("issues")


def test_a_failed_write_rolls_the_run_back_and_closes_it(sink: DuckDBSink) -> None:
    run = sink.open_run("issues", TABLES, REPLACE, run_id="r1")
    run.write(issues([1]))
    run.commit(None)

    run = sink.open_run("issues", TABLES, REPLACE, run_id="r2")
    run.write(issues([5, 6]))
    with pytest.raises(BadBatchError, match="'nope'"):
        run.write(TableBatch("nope", custom_fields([(1, 1)]).batch))
    with pytest.raises(RunFinishedError):
        run.write(issues([9]))
    with pytest.raises(RunFinishedError):
        run.commit({"x": 1})
    assert rows(sink, "issues", "id") == [(1,)]


def test_using_a_committed_run_is_an_error(sink: DuckDBSink) -> None:
    run = sink.open_run("issues", TABLES, REPLACE, run_id="r1")
    run.commit(None)
    with pytest.raises(RunFinishedError, match="open a new run"):
        run.write(issues([1]))
