"""SIGKILL in the middle of a Replace or a Merge leaves the tables as they were."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sinkdata import TABLES, custom_fields, issues, rows

from backlog_connector.reports.base import UpdateMode
from backlog_connector.sinks import duckdb_meta as meta
from backlog_connector.sinks.duckdb import DuckDBSink, open_read_only
from backlog_connector.sinks.duckdb_run import STAGE_PREFIX
from backlog_connector.sinks.errors import WarehouseBusyError

WRITER = Path(__file__).with_name("sink_writer_proc.py")
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


def _writer(
    path: Path, mode: str, run_id: str, batches: int, size: int, delay: float
) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(WRITER.parent), *sys.path])}
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(path), mode, run_id, str(batches), str(size), str(delay)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_for(proc: subprocess.Popen[str], line: str) -> None:
    assert proc.stdout is not None
    while True:
        got = proc.stdout.readline()
        if not got:
            _, err = proc.communicate(timeout=30)
            pytest.fail(f"the writer ended before {line!r}: {err}")
        if got.strip() == line:
            return


@pytest.mark.parametrize("mode", ["replace", "merge"])
def test_kill_9_mid_run_leaves_the_table_and_the_next_run_completes(
    warehouse_path: Path, mode: str
) -> None:
    before = _seed(warehouse_path)
    # 40 batches of 4,000 rows: more than one DuckDB row group (122,880 rows) reaches the file
    # before the kill, so the test covers blocks written by an uncommitted transaction.
    proc = _writer(warehouse_path, mode, "doomed", batches=100_000, size=4_000, delay=0.0)
    try:
        _wait_for(proc, "wrote 40")
        with pytest.raises(WarehouseBusyError, match="another process"):
            open_read_only(warehouse_path)
        with pytest.raises(WarehouseBusyError):
            DuckDBSink(warehouse_path)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    with DuckDBSink(warehouse_path) as sink:
        assert _snapshot(sink) == before
        assert _staging_tables(sink)  # the killed run's, hidden from readers

    done = _writer(warehouse_path, mode, "next", batches=3, size=1_000, delay=0.0)
    out, err = done.communicate(timeout=120)
    assert done.returncode == 0, err
    assert out.splitlines()[-1] == "committed"
    with DuckDBSink(warehouse_path) as sink:
        ids = [r[0] for r in rows(sink, "issues", "id")]
        if mode == "replace":
            assert ids == list(range(50, 3050))
        else:  # seeded 1..100 minus the deleted 1 and 2, upserted 50..3049
            assert ids == list(range(3, 3050))
            assert rows(sink, "issues", "id", "summary")[-1] == (3049, "next-3049")
        assert sink.read_state("issues") == {"run": "next"}
        assert _staging_tables(sink) == []  # the next run dropped the stale ones


def _staging_tables(sink: DuckDBSink) -> list[str]:
    with sink._cursor() as cur:
        names = meta.existing_tables(cur).values()
    return [n for n in names if n.lower().startswith(STAGE_PREFIX)]
