"""Schema drift: new columns are added, missing ones kept, type conflicts refused."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from sinkdata import ISSUE_SCHEMA, MAIN, TABLES, issues, rows, sql_type

from backlog_connector.backlog.errors import ConfigurationError
from backlog_connector.reports.base import TableBatch, TableSpec, UpdateMode
from backlog_connector.sinks.base import WriteStats
from backlog_connector.sinks.duckdb import DuckDBSink
from backlog_connector.sinks.errors import BadBatchError, SchemaConflictError

MERGE = UpdateMode.MERGE


def _merge(
    sink: DuckDBSink, run_id: str, *batches: TableBatch, state: dict[str, Any] | None = None
) -> WriteStats:
    run = sink.open_run("issues", TABLES, MERGE, run_id=run_id)
    for batch in batches:
        run.write(batch)
    return run.commit(state)


def test_a_new_column_is_added_and_older_rows_are_null(sink: DuckDBSink) -> None:
    _merge(sink, "r1", issues([1, 2]))
    stats = _merge(sink, "r2", issues([3], cf_priority=pa.array([7], pa.int64())))
    assert stats.columns_added == {"issues": ["cf_priority"]}
    assert dict(sink.describe("issues"))["cf_priority"] == sql_type(sink, "BIGINT")
    assert rows(sink, "issues", "id", "cf_priority") == [(1, None), (2, None), (3, 7)]


def test_a_column_missing_from_a_batch_is_kept_and_null(sink: DuckDBSink) -> None:
    _merge(sink, "r1", issues([1], cf_x=pa.array(["a"])))
    _merge(sink, "r2", issues([2]))
    batch = pa.RecordBatch.from_pydict({"id": pa.array([3], pa.int64())})
    _merge(sink, "r3", TableBatch("", batch))
    assert rows(sink, "issues", "id", "summary", "cf_x") == [
        (1, "s1", "a"),
        (2, "s2", None),
        (3, None, None),
    ]


def test_a_type_conflict_is_reported_and_changes_nothing(sink: DuckDBSink) -> None:
    _merge(sink, "r1", issues([1], cf_x=pa.array([5], pa.int64())), state={"n": 1})
    before = rows(sink, "issues"), sink.describe("issues")
    run = sink.open_run("issues", TABLES, MERGE, run_id="r2")
    run.write(issues([2], cf_new=pa.array(["kept?"])))
    with pytest.raises(SchemaConflictError) as err:
        run.write(issues([3], cf_x=pa.array(["five"])))
    message = str(err.value)
    for part in (
        "'issues'",
        "'cf_x'",
        sql_type(sink, "BIGINT"),
        sql_type(sink, "VARCHAR"),
        "full replace",
    ):
        assert part in message
    assert isinstance(err.value, ConfigurationError)
    assert (rows(sink, "issues"), sink.describe("issues")) == before
    assert sink.read_state("issues") == {"n": 1}


def test_a_full_replace_resolves_a_type_conflict(sink: DuckDBSink) -> None:
    _merge(sink, "r1", issues([1], cf_x=pa.array([5], pa.int64())))
    run = sink.open_run("issues", TABLES, UpdateMode.REPLACE, run_id="full")
    run.write(issues([1], cf_x=pa.array(["five"])))
    run.commit(None)
    _merge(sink, "r3", issues([2], cf_x=pa.array(["six"])))
    assert rows(sink, "issues", "id", "cf_x") == [(1, "five"), (2, "six")]


def test_a_declared_type_change_is_refused_when_the_run_opens(sink: DuckDBSink) -> None:
    _merge(sink, "r1", issues([1]))
    changed = ISSUE_SCHEMA.set(1, pa.field("summary", pa.int64()))
    with pytest.raises(SchemaConflictError, match="'summary'"):
        sink.open_run("issues", [TableSpec("", changed, key=("id",))], MERGE, run_id="r2")
    assert dict(sink.describe("issues"))["summary"] == sql_type(sink, "VARCHAR")


def test_a_newly_declared_column_is_added_when_the_run_opens(sink: DuckDBSink) -> None:
    _merge(sink, "r1", issues([1]))
    wider = TableSpec("", ISSUE_SCHEMA.append(pa.field("watchers", pa.int32())), key=("id",))
    run = sink.open_run("issues", [wider], MERGE, run_id="r2")
    stats = run.commit(None)
    assert stats.columns_added == {"issues": ["watchers"]}
    assert dict(sink.describe("issues"))["watchers"] == sql_type(sink, "INTEGER")


def test_null_typed_columns_fill_existing_columns_and_add_none(sink: DuckDBSink) -> None:
    _merge(sink, "r1", issues([1], cf_x=pa.array(["a"])))
    _merge(sink, "r2", issues([2], cf_x=pa.nulls(1), cf_unknown=pa.nulls(1)))
    assert rows(sink, "issues", "id", "cf_x") == [(1, "a"), (2, None)]
    assert "cf_unknown" not in dict(sink.describe("issues"))


def test_equivalent_arrow_types_are_not_conflicts(sink: DuckDBSink) -> None:
    _merge(sink, "r1", issues([1]))
    batch = issues([2]).batch
    ms = batch.set_column(2, "updated", batch.column(2).cast(pa.timestamp("ms", tz="UTC")))
    big = ms.set_column(1, "summary", ms.column(1).cast(pa.large_string()))
    _merge(sink, "r2", TableBatch("", big))
    assert sink.row_count("issues") == 2


def test_columns_differing_only_in_case_are_rejected(sink: DuckDBSink) -> None:
    run = sink.open_run("issues", [MAIN], MERGE, run_id="r1")
    with pytest.raises(BadBatchError, match="ignore case"):
        run.write(issues([1], Summary=pa.array(["x"])))


def test_declared_null_columns_are_rejected(sink: DuckDBSink) -> None:
    bad = TableSpec("", ISSUE_SCHEMA.append(pa.field("nothing", pa.null())), key=("id",))
    with pytest.raises(BadBatchError, match="real type"):
        sink.open_run("issues", [bad], MERGE, run_id="r1")
    assert sink.list_tables() == []


def test_batches_of_one_replace_run_that_disagree_on_a_type(sink: DuckDBSink) -> None:
    run = sink.open_run("issues", TABLES, UpdateMode.REPLACE, run_id="r1")
    run.write(issues([1], cf_x=pa.array([1.5])))
    with pytest.raises(SchemaConflictError, match="Within one replace run") as err:
        run.write(issues([2], cf_x=pa.array(["x"])))
    assert sql_type(sink, "DOUBLE") in str(err.value)
    assert sink.list_tables() == []
