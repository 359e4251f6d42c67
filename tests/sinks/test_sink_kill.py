"""SIGKILL at any stage of a Replace or a Merge leaves the tables as they were; while a run of
another process stages, the warehouse stays open to readers."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import duckdb
import pytest
from sinkdata import TABLES, custom_fields, issues, rows
from writer import start_writer, wait_for

from backlog_connector.reports.base import UpdateMode
from backlog_connector.sinks.duckdb import DuckDBSink, open_read_only
from backlog_connector.sinks.duckdb_staging import staging_files

CF = "issues__custom_fields"


def _seed(path: Path) -> tuple[object, ...]:
    with DuckDBSink(path) as sink:
        run = sink.open_run("issues", TABLES, UpdateMode.REPLACE, run_id="seed")
        run.write(issues(range(1, 101)))
        run.write(custom_fields([(i, 1) for i in range(1, 101)]))
        run.commit({"run": "seed"})
        return _snapshot(sink)


def _snapshot(sink: DuckDBSink) -> tuple[object, ...]:
    return (
        sink.list_tables(),
        sink.describe("issues"),
        rows(sink, "issues"),
        rows(sink, CF),
        sink.read_state("issues"),
    )


def _next_run_completes(path: Path, mode: str) -> None:
    done = start_writer(path, mode, "next", batches=3, size=1_000, delay=0.0)
    out, err = done.communicate(timeout=120)
    assert done.returncode == 0, err
    assert out.splitlines()[-1] == "committed"
    with DuckDBSink(path) as sink:
        ids = [r[0] for r in rows(sink, "issues", "id")]
        if mode == "replace":
            assert ids == list(range(50, 3050))
        else:  # seeded 1..100 minus the deleted 1 and 2, upserted 50..3049
            assert ids == list(range(3, 3050))
            assert rows(sink, "issues", "id", "summary")[-1] == (3049, "next-3049")
        assert sink.read_state("issues") == {"run": "next"}
    assert staging_files(path) == []  # the next run removed the killed one's file


@pytest.mark.parametrize("mode", ["replace", "merge"])
def test_kill_9_while_staging_leaves_the_table_and_readers_got_in_meanwhile(
    warehouse_path: Path, mode: str
) -> None:
    before = _seed(warehouse_path)
    # 40 batches of 4,000 rows reach the run's staging files before the kill
    proc = start_writer(warehouse_path, mode, "doomed", batches=100_000, size=4_000, delay=0.0)
    try:
        wait_for(proc, "wrote 40")
        # the run stages in its own file: the warehouse is free for readers of any process
        outside = duckdb.connect(str(warehouse_path), read_only=True)
        assert outside.execute("SELECT count(*) FROM issues").fetchone() == (100,)
        outside.close()
        with open_read_only(warehouse_path) as reader:
            assert reader.row_count("issues") == 100
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with DuckDBSink(warehouse_path) as sink:
        assert _snapshot(sink) == before
    left = staging_files(warehouse_path)  # the killed run's, never seen by readers
    assert [p.suffix for p in left if p.is_dir()] == [".rows"]
    assert any(f.stat().st_size for folder in left if folder.is_dir() for f in folder.iterdir())
    _next_run_completes(warehouse_path, mode)


@pytest.mark.parametrize("mode", ["replace", "merge"])
def test_kill_9_while_the_commit_waits_for_a_reader_leaves_the_table(
    warehouse_path: Path, mode: str
) -> None:
    before = _seed(warehouse_path)
    reader = duckdb.connect(str(warehouse_path), read_only=True)  # keeps the writer out
    try:
        proc = start_writer(warehouse_path, mode, "doomed", batches=5, size=2_000, delay=0.0)
        try:
            wait_for(proc, "committing")
            time.sleep(1.0)  # waiting for this reader to let go
            assert proc.poll() is None
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.kill()
            proc.communicate(timeout=30)
    finally:
        reader.close()
    with DuckDBSink(warehouse_path) as sink:
        assert _snapshot(sink) == before
    _next_run_completes(warehouse_path, mode)


@pytest.mark.parametrize("mode", ["replace", "merge"])
def test_kill_9_during_the_applying_transaction_leaves_old_or_new_never_half(
    warehouse_path: Path, mode: str
) -> None:
    before = _seed(warehouse_path)
    proc = start_writer(warehouse_path, mode, "doomed", batches=60, size=4_000, delay=0.0)
    try:
        wait_for(proc, "committing")
        time.sleep(0.15)  # somewhere inside the short write of 240,000 rows (or just after)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    with DuckDBSink(warehouse_path) as sink:
        after = _snapshot(sink)
        if after != before:  # the commit made it: then all of it did
            assert sink.read_state("issues") == {"run": "doomed"}
            expected = 240_000 if mode == "replace" else 240_000 + 49 - 2
            assert sink.row_count("issues") == expected
    _next_run_completes(warehouse_path, mode)
