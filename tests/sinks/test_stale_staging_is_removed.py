"""What a killed DuckDB run left in ``<warehouse>.staging/`` is removed by the next run, and
nothing of a run still open is."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from sinkdata import TABLES, issues, rows

from backlog_connector.reports.base import UpdateMode
from backlog_connector.sinks.duckdb import DuckDBSink
from backlog_connector.sinks.duckdb_staging import staging_dir, staging_files

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
