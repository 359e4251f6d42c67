"""Merge: upsert on the key, children replaced per written or deleted parent, deletes."""

from __future__ import annotations

import pyarrow as pa
import pytest
from sinkdata import TABLES, custom_fields, issues, rows

from backlog_connector.reports.base import TableBatch, TableSpec, UpdateMode
from backlog_connector.sinks.duckdb import DuckDBSink
from backlog_connector.sinks.duckdb_staging import staging_files
from backlog_connector.sinks.errors import BadBatchError, RunFinishedError

MERGE = UpdateMode.MERGE
CF = "issues__custom_fields"


def _seed(sink: DuckDBSink) -> None:
    run = sink.open_run("issues", TABLES, MERGE, run_id="r1")
    run.write(issues([1, 2, 3]))
    run.write(custom_fields([(1, 10), (1, 11), (2, 10), (3, 10)]))
    run.commit({"since": 1})


def test_upsert_on_key(sink: DuckDBSink) -> None:
    _seed(sink)
    run = sink.open_run("issues", TABLES, MERGE, run_id="r2")
    run.write(issues([2, 4], summary="new"))
    stats = run.commit({"since": 2})
    assert rows(sink, "issues", "id", "summary") == [
        (1, "s1"),
        (2, "new2"),
        (3, "s3"),
        (4, "new4"),
    ]
    assert stats.rows_written == {"issues": 2}


def test_last_row_of_a_key_wins_within_and_across_batches(sink: DuckDBSink) -> None:
    _seed(sink)
    run = sink.open_run("issues", TABLES, MERGE, run_id="r2")
    run.write(issues([5, 5, 6], summary="a"))
    run.write(
        TableBatch(
            "",
            pa.RecordBatch.from_pylist(
                [
                    {"id": 5, "summary": "first"},
                    {"id": 6, "summary": "b"},
                    {"id": 5, "summary": "last"},
                ]
            ),
        )
    )
    run.commit(None)
    assert rows(sink, "issues", "id", "summary") == [
        (1, "s1"),
        (2, "s2"),
        (3, "s3"),
        (5, "last"),
        (6, "b"),
    ]


def test_children_of_written_parents_are_replaced(sink: DuckDBSink) -> None:
    _seed(sink)
    run = sink.open_run("issues", TABLES, MERGE, run_id="r2")
    run.write(issues([1, 3]))
    run.write(custom_fields([(1, 12)], value="n"))  # issue 3 now has no custom fields
    run.commit(None)
    assert rows(sink, CF, "issue_id", "field_id", "value") == [(1, 12, "n1.12"), (2, 10, "v2.10")]


def test_children_before_their_parent_in_the_stream_survive(sink: DuckDBSink) -> None:
    _seed(sink)
    run = sink.open_run("issues", TABLES, MERGE, run_id="r2")
    run.write(custom_fields([(1, 12)], value="n"))
    run.write(custom_fields([(1, 13)], value="n"))
    run.write(issues([1]))
    run.write(custom_fields([(1, 13)], value="again"))  # a page fetched twice: upsert, no dup
    run.commit(None)
    assert rows(sink, CF, "issue_id", "field_id", "value") == [
        (1, 12, "n1.12"),
        (1, 13, "again1.13"),
        (2, 10, "v2.10"),
        (3, 10, "v3.10"),
    ]


def test_delete_removes_rows_and_their_children(sink: DuckDBSink) -> None:
    _seed(sink)
    run = sink.open_run("issues", TABLES, MERGE, run_id="r2")
    run.write(issues([4]))
    run.delete([(1,), (3,), (99,)])
    stats = run.commit(None)
    assert rows(sink, "issues", "id") == [(2,), (4,)]
    assert rows(sink, CF, "issue_id", "field_id") == [(2, 10)]
    assert stats.rows_deleted == {"issues": 2, CF: 3}


def test_children_written_after_a_delete_are_kept(sink: DuckDBSink) -> None:
    _seed(sink)
    run = sink.open_run("issues", TABLES, MERGE, run_id="r2")
    run.delete([(2,)])
    run.write(issues([2], summary="back"))
    run.write(custom_fields([(2, 20)]))
    run.commit(None)
    assert rows(sink, CF, "issue_id", "field_id") == [(1, 10), (1, 11), (2, 20), (3, 10)]


def test_merge_creates_the_tables_on_first_run(sink: DuckDBSink) -> None:
    run = sink.open_run("issues", TABLES, MERGE, run_id="r1")
    run.delete([(1,)])
    run.commit(None)
    assert sink.row_count("issues") == 0
    assert sink.row_count(CF) == 0


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        (TableBatch("", pa.RecordBatch.from_pylist([{"id": None, "summary": "x"}])), "NULL"),
        (
            TableBatch("", issues([7]).batch.set_column(0, "id", pa.array([None], pa.int64()))),
            "NULL",
        ),
        (TableBatch("", pa.RecordBatch.from_pylist([{"summary": "x"}])), "lacks the key"),
        (TableBatch("custom_fields", pa.RecordBatch.from_pylist([{"field_id": 1}])), "issue_id"),
    ],
)
def test_bad_keys_are_rejected_and_roll_back(
    sink: DuckDBSink, batch: TableBatch, message: str
) -> None:
    _seed(sink)
    before = rows(sink, "issues"), rows(sink, CF)
    run = sink.open_run("issues", TABLES, MERGE, run_id="r2")
    run.write(issues([1, 9], summary="changed"))
    with pytest.raises(BadBatchError, match=message):
        run.write(batch)
    with pytest.raises(RunFinishedError):
        run.commit({"since": 2})
    assert (rows(sink, "issues"), rows(sink, CF)) == before
    assert sink.read_state("issues") == {"since": 1}


def test_bad_specs_are_rejected_before_anything_runs(sink: DuckDBSink) -> None:
    keyless = TableSpec("", TABLES[0].schema, key=())
    with pytest.raises(BadBatchError, match="merge needs a key"):
        sink.open_run("issues", [keyless], MERGE, run_id="r1")
    orphan = TableSpec("custom_fields", TABLES[1].schema, key=("issue_id", "field_id"))
    with pytest.raises(BadBatchError, match="parent_key"):
        sink.open_run("issues", [TABLES[0], orphan], MERGE, run_id="r1")
    with pytest.raises(BadBatchError, match="exactly one main table"):
        sink.open_run("issues", [TABLES[1]], MERGE, run_id="r1")
    assert sink.list_tables() == []


def test_a_full_merge_rebuilds_the_tables_with_the_last_row_per_key(sink: DuckDBSink) -> None:
    _seed(sink)
    run = sink.open_run("issues", TABLES, MERGE, run_id="full", full=True)
    run.write(issues([2, 4], summary="a", cf_x=pa.array(["x", "y"])))
    run.write(custom_fields([(2, 20), (4, 40)]))
    run.write(issues([4], summary="b"))
    run.write(custom_fields([(4, 41)]))
    stats = run.commit({"since": 9})
    assert rows(sink, "issues", "id", "summary") == [(2, "a2"), (4, "b4")]
    assert rows(sink, CF, "issue_id", "field_id") == [(2, 20), (4, 40), (4, 41)]
    assert stats.rows_written == {"issues": 3, CF: 3}
    assert sink.read_state("issues") == {"since": 9}


def test_a_full_merge_resolves_a_type_conflict(sink: DuckDBSink) -> None:
    run = sink.open_run("issues", TABLES, MERGE, run_id="r1")
    run.write(issues([1], cf_x=pa.array([5], pa.int64())))
    run.commit(None)
    run = sink.open_run("issues", TABLES, MERGE, run_id="full", full=True)
    run.write(issues([1], cf_x=pa.array(["five"])))
    run.commit(None)
    assert rows(sink, "issues", "id", "cf_x") == [(1, "five")]


@pytest.mark.duckdb_only  # PostgreSQL: test_postgres_sink checks its temporary tables
def test_a_failed_or_aborted_run_leaves_no_staging_tables(sink: DuckDBSink) -> None:
    _seed(sink)
    before = sink.list_tables(), rows(sink, "issues"), rows(sink, CF)
    for full in (False, True):
        run = sink.open_run("issues", TABLES, MERGE, run_id="r2", full=full)
        run.write(issues([7, 8]))
        run.delete([(1,)])
        run.abort()
    run = sink.open_run("issues", TABLES, MERGE, run_id="r3")
    run.write(issues([9]))
    with pytest.raises(BadBatchError):
        run.write(TableBatch("nope", issues([1]).batch))
    assert (sink.list_tables(), rows(sink, "issues"), rows(sink, CF)) == before
    assert staging_files(sink.path) == []
