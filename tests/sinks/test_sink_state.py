"""The run's state (cursor) is committed with its rows, or not at all."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sinkdata import TABLES, issues, rows

from backlog_connector.reports.base import UpdateMode
from backlog_connector.sinks.duckdb import DuckDBSink, open_read_only
from backlog_connector.sinks.errors import BadBatchError

MERGE = UpdateMode.MERGE


def test_state_is_committed_with_the_rows_and_survives_reopening(warehouse_path: Path) -> None:
    with DuckDBSink(warehouse_path) as sink:
        assert sink.read_state("issues") is None
        run = sink.open_run("issues", TABLES, MERGE, run_id="r1")
        run.write(issues([1]))
        run.commit({"updated_since": "2024-01-01T00:00:00Z", "ids": [1, 2]})
    with open_read_only(warehouse_path) as reader:
        assert reader.read_state("issues") == {
            "updated_since": "2024-01-01T00:00:00Z",
            "ids": [1, 2],
        }
        assert reader.read_state("other") is None


def test_none_keeps_the_previous_state(sink: DuckDBSink) -> None:
    run = sink.open_run("issues", TABLES, MERGE, run_id="r1")
    run.commit({"n": 1})
    run = sink.open_run("issues", TABLES, MERGE, run_id="r2")
    run.write(issues([2]))
    run.commit(None)
    assert sink.read_state("issues") == {"n": 1}
    assert sink.row_count("issues") == 1


def test_abort_commits_neither_rows_nor_state(sink: DuckDBSink) -> None:
    run = sink.open_run("issues", TABLES, MERGE, run_id="r1")
    run.write(issues([1]))
    run.commit({"n": 1})
    run = sink.open_run("issues", TABLES, MERGE, run_id="r2")
    run.write(issues([2, 3]))
    run.abort()
    assert sink.read_state("issues") == {"n": 1}
    assert rows(sink, "issues", "id") == [(1,)]


def test_a_state_that_cannot_be_stored_fails_the_whole_commit(sink: DuckDBSink) -> None:
    run = sink.open_run("issues", TABLES, MERGE, run_id="r1")
    run.write(issues([1]))
    run.commit({"n": 1})
    run = sink.open_run("issues", TABLES, MERGE, run_id="r2")
    run.write(issues([2]))
    with pytest.raises(BadBatchError, match="JSON"):
        run.commit({"n": object()})
    assert sink.read_state("issues") == {"n": 1}
    assert rows(sink, "issues", "id") == [(1,)]


def test_datetimes_in_state_come_back_as_iso_strings(sink: DuckDBSink) -> None:
    run = sink.open_run("issues", TABLES, MERGE, run_id="r1")
    run.commit({"at": datetime(2024, 5, 1, 12, 0, tzinfo=UTC)})
    assert sink.read_state("issues") == {"at": "2024-05-01T12:00:00+00:00"}


def test_states_are_kept_per_dataset_table(sink: DuckDBSink) -> None:
    for base, n in (("a", 1), ("b", 2)):
        sink.open_run(base, TABLES, MERGE, run_id=f"r{n}").commit({"n": n})
    assert sink.read_state("a") == {"n": 1}
    assert sink.read_state("b") == {"n": 2}
