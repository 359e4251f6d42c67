"""A run's staged rows reach the tables as written: a delete removes only what was staged before
it, the last row of a repeated key wins across batches and schemas, and (DuckDB) the rows keep
the order the run wrote them in; the sink's own row numbers never mix with a batch's columns,
and a failing commit says what failed."""

from __future__ import annotations

import pyarrow as pa
import pytest
from sinkdata import CHILD, TABLES, custom_fields, issues, rows

from backlog_connector.reports.base import TableBatch, TableSpec, UpdateMode
from backlog_connector.sinks import duckdb_apply
from backlog_connector.sinks.arrow_batches import combined_key, has_repeats
from backlog_connector.sinks.base import Sink
from backlog_connector.sinks.duckdb import DuckDBSink
from backlog_connector.sinks.duckdb_staging import staging_files
from backlog_connector.sinks.errors import BadBatchError, WarehouseError, WriteConflictError

CF = "issues__custom_fields"


def _seed(sink: Sink) -> None:
    run = sink.open_run("issues", TABLES, UpdateMode.REPLACE, run_id="seed")
    run.write(issues(range(1, 6), "old"))
    run.write(custom_fields([(i, 1) for i in range(1, 6)], "old"))
    run.commit(None)


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
def test_a_delete_removes_what_was_staged_before_it_and_keeps_what_came_after(
    sink: Sink, full: bool
) -> None:
    _seed(sink)
    run = sink.open_run("issues", TABLES, UpdateMode.MERGE, run_id="r1", full=full)
    run.write(issues([2, 3], "a"))
    run.write(custom_fields([(2, 1), (2, 2), (3, 1)], "a"))
    run.delete([(2,), (3,), (4,)])
    run.write(issues([3], "b"))  # staged again after the delete: kept
    run.write(custom_fields([(3, 5)], "b"))
    run.delete([(3,)])  # and deleted again: gone
    run.write(issues([3, 6], "c"))
    stats = run.commit(None)
    expected = [(3, "c3"), (6, "c6")] if full else [(1, "old1"), (3, "c3"), (5, "old5"), (6, "c6")]
    assert rows(sink, "issues", "id", "summary") == expected
    children = [(1, 1, "old1.1"), (5, 1, "old5.1")] if not full else []
    assert rows(sink, CF, "issue_id", "field_id", "value") == children
    # staged rows removed: issues 2, 3, 3 and children (2,1), (2,2), (3,1), (3,5); a
    # full run rebuilds, so the stored ones are not counted as deleted
    stored = {"issues": 3, CF: 3} if not full else {}
    assert stats.rows_deleted == {
        "issues": 3 + stored.get("issues", 0),
        CF: 4 + stored.get(CF, 0),
    }
    assert stats.rows_written == {"issues": 5, CF: 4}


def test_the_last_row_of_a_key_wins_across_batches_of_different_schemas(sink: Sink) -> None:
    _seed(sink)
    run = sink.open_run("issues", TABLES, UpdateMode.MERGE, run_id="r1", full=True)
    run.write(issues([1, 2], "a"))
    run.write(issues([2, 3], "b", estimate=pa.array([2.5, 3.5])))  # a new column
    run.write(issues([3, 1], "c"))
    run.write(custom_fields([(1, 1), (2, 1)], "a"))
    run.write(custom_fields([(1, 1)], "b"))
    run.commit(None)
    assert rows(sink, "issues", "id", "summary", "estimate") == [
        (1, "c1", None), (2, "b2", 2.5), (3, "c3", None),
    ]  # fmt: skip
    assert rows(sink, CF, "issue_id", "field_id", "value") == [(1, 1, "b1.1"), (2, 1, "a2.1")]


def test_keys_that_fold_to_the_same_number_are_still_different_keys(sink: Sink) -> None:
    # the repeat check folds (issue_id, field_id) into issue_id * 1000003 + field_id
    pairs = [(0, 1_000_003), (1, 0)]
    batch = pa.Table.from_batches([custom_fields(pairs).batch])
    folded = combined_key(batch, ("issue_id", "field_id"))
    assert folded is not None
    assert has_repeats(folded)
    run = sink.open_run("issues", TABLES, UpdateMode.MERGE, run_id="r1", full=True)
    run.write(issues([0, 1]))
    run.write(custom_fields(pairs[:1], "a"))
    run.write(custom_fields(pairs[1:], "b"))
    run.write(custom_fields(pairs, "c"))  # one batch with both: each keeps its own row
    run.commit(None)
    assert rows(sink, CF, "issue_id", "field_id", "value") == [
        (0, 1_000_003, "c0.1000003"), (1, 0, "c1.0"),
    ]  # fmt: skip


@pytest.mark.duckdb_only
@pytest.mark.parametrize("mode", [UpdateMode.REPLACE, UpdateMode.APPEND, UpdateMode.MERGE])
def test_rows_keep_the_order_they_were_written_in(sink: DuckDBSink, mode: UpdateMode) -> None:
    # three segments (the middle batch has another schema), a repeat and a delete in merge
    written = [list(range(50, 40, -1)), list(range(10)), list(range(100, 90, -1))]
    run = sink.open_run("issues", TABLES, mode, run_id="r1", full=mode is UpdateMode.MERGE)
    for number, ids in enumerate(written):
        extra = {"estimate": pa.array([1.0] * len(ids))} if number == 1 else {}
        run.write(issues(ids, **extra))
    expected = [i for ids in written for i in ids]
    if mode is UpdateMode.MERGE:
        run.delete([(5,)])
        run.write(issues([45]))  # the key's last row: its place is now the end
        expected = [i for i in expected if i not in (5, 45)] + [45]
    run.commit(None)
    assert sink.preview("issues", 1000).column("id").to_pylist() == expected  # storage order


@pytest.mark.parametrize("name", ["_backlog_connector_seq", "_Backlog_Connector_Seq"])
def test_a_column_named_like_the_sinks_own_is_refused(sink: Sink, name: str) -> None:
    _seed(sink)
    run = sink.open_run("issues", TABLES, UpdateMode.MERGE, run_id="r1")
    with pytest.raises(BadBatchError, match="rename it in the report"):
        run.write(issues([1], "new", **{name: pa.array([7])}))
    assert rows(sink, "issues", "id", "summary")[0] == (1, "old1")


def test_a_child_without_a_parent_key_keeps_its_rows_when_parents_are_deleted(
    sink: Sink,
) -> None:
    loose = TableSpec("custom_fields", CHILD.schema, key=CHILD.key)  # no parent_key
    run = sink.open_run("issues", (TABLES[0], loose), UpdateMode.REPLACE, run_id="r1")
    run.write(issues([1, 2]))
    run.write(custom_fields([(1, 1), (2, 1)]))
    run.delete([(1,)])
    run.commit(None)
    assert rows(sink, "issues", "id") == [(2,)]
    assert rows(sink, CF, "issue_id") == [(1,), (2,)]


@pytest.mark.duckdb_only
def test_batches_that_alternate_a_null_typed_column_keep_to_two_files(sink: DuckDBSink) -> None:
    run = sink.open_run("issues", TABLES, UpdateMode.MERGE, run_id="r1", full=True)
    for n in range(300):
        extra = pa.array([1.5]) if n % 2 else pa.nulls(1)  # typed, then NULL-typed, ...
        run.write(issues([n], estimate=extra))
    files = [f for p in staging_files(sink.path) if p.is_dir() for f in p.iterdir()]
    run.commit(None)
    assert len(files) <= 2  # not one per change of schema
    stored = rows(sink, "issues", "id", "estimate")
    assert stored == [(n, 1.5 if n % 2 else None) for n in range(300)]


@pytest.mark.duckdb_only
def test_an_unsigned_key_past_the_signed_range_merges(sink: DuckDBSink) -> None:
    schema = pa.schema([("id", pa.uint64()), ("summary", pa.string())])
    spec = TableSpec("", schema, key=("id",))
    big = [2**63 + 5, 2**63 + 5 - 2**64 + 2**64 // 2]  # the second folds onto a small number

    def batch(ids: list[int], text: str) -> TableBatch:
        values = {"id": pa.array(ids, pa.uint64()), "summary": pa.array([text] * len(ids))}
        return TableBatch("", pa.RecordBatch.from_pydict(values))

    run = sink.open_run("big", (spec,), UpdateMode.MERGE, run_id="r1", full=True)
    run.write(batch(big, "a"))
    run.write(batch(big[:1], "b"))
    run.commit(None)
    assert rows(sink, "big", "id", "summary") == sorted([(big[0], "b"), (big[1], "a")])


@pytest.mark.duckdb_only
def test_a_failing_commit_statement_is_reported_as_itself(
    sink: DuckDBSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(sink)
    run = sink.open_run("issues", TABLES, UpdateMode.MERGE, run_id="r1")
    run.write(issues([1], "new"))
    monkeypatch.setattr(duckdb_apply, "union_sql", lambda *args: "SELECT nonsense FROM")
    with pytest.raises(WarehouseError) as caught:
        run.commit(None)
    assert not isinstance(caught.value, WriteConflictError)  # not "run it again"
    assert "syntax error" in str(caught.value).lower()
    assert rows(sink, "issues", "id", "summary")[0] == (1, "old1")
    assert staging_files(sink.path) == []
