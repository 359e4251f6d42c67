"""What a killed DuckDB run left in ``<warehouse>.staging/`` is removed by the next run, and
nothing of a run still open is: not in this process, and not in another one whose commit waits
for the warehouse."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest
from sinkdata import TABLES, issues, rows
from writer import start_writer, wait_for

from backlog_connector.reports.base import UpdateMode
from backlog_connector.sinks.duckdb import DuckDBSink
from backlog_connector.sinks.duckdb_staging import remove_stale, staging_dir, staging_files

pytestmark = pytest.mark.duckdb_only


def _leftovers(warehouse: Path) -> list[str]:
    """A killed run's staging file and rows folder, and rows whose file never came."""
    folder = staging_dir(warehouse)
    folder.mkdir()
    duckdb.connect(str(folder / "killed.duckdb")).close()
    for stem in ("killed", "early"):
        (folder / f"{stem}.rows").mkdir()
        (folder / f"{stem}.rows" / "t0_0.arrows").write_bytes(b"x" * 100)
    return sorted(p.name for p in staging_files(warehouse))


def test_the_next_run_removes_what_killed_runs_left_and_keeps_an_open_runs(
    sink: DuckDBSink,
) -> None:
    assert _leftovers(sink.path) == ["early.rows", "killed.duckdb", "killed.rows"]
    first = sink.open_run("issues", TABLES, UpdateMode.MERGE, run_id="r1")
    left = [p.name for p in staging_files(sink.path)]
    assert left  # the open run's file
    assert not [n for n in left if n.startswith(("killed", "early"))]
    first.write(issues([1, 2]))
    second = sink.open_run("other", TABLES[:1], UpdateMode.REPLACE, run_id="r2")
    second.write(issues([3]))
    second.commit(None)  # opening it left the first run's files alone
    first.commit(None)
    assert rows(sink, "issues", "id") == [(1,), (2,)]
    assert rows(sink, "other", "id") == [(3,)]
    assert staging_files(sink.path) == []


def test_a_run_whose_commit_waits_for_a_reader_keeps_its_files(warehouse_path: Path) -> None:
    with DuckDBSink(warehouse_path) as sink:
        seed = sink.open_run("issues", TABLES, UpdateMode.REPLACE, run_id="seed")
        seed.write(issues([1]))
        seed.commit(None)
    reader = duckdb.connect(str(warehouse_path), read_only=True)  # keeps the writer out
    proc = start_writer(warehouse_path, "replace", "waiting", batches=3, size=100, delay=0.0)
    try:
        wait_for(proc, "committing")
        time.sleep(0.5)  # the writer now waits for this reader to let go
        assert proc.poll() is None
        assert remove_stale(warehouse_path) == []  # what a run of this process would do
        assert staging_files(warehouse_path)
    finally:
        reader.close()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert out.splitlines()[-1] == "committed"
    with DuckDBSink(warehouse_path) as sink:
        assert sink.row_count("issues") == 300
    assert staging_files(warehouse_path) == []
