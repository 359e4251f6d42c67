"""A warehouse on a full disk (a real 2 MB tmpfs) says "no space left on device", not that a
concurrent transaction changed the same rows; the run is rolled back and the table kept."""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from sinkdata import MAIN, issues

from backlog_connector.backlog.errors import RetryLaterError
from backlog_connector.reports.base import TableBatch, UpdateMode
from backlog_connector.sinks.base import SinkRun
from backlog_connector.sinks.duckdb import DuckDBSink
from backlog_connector.sinks.errors import DiskFullError


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip()}); needs root")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _big(ids: range) -> TableBatch:
    noise = [secrets.token_hex(64) for _ in ids]  # incompressible: fills the disk for real
    batch = issues(ids)
    return TableBatch("", batch.batch.set_column(1, "summary", pa.array(noise)))


def _fill_and_commit(run: SinkRun) -> None:
    for start in range(0, 400_000, 20_000):
        run.write(_big(range(start, start + 20_000)))
    run.commit(None)


def test_a_full_disk_is_reported_as_such_and_the_table_kept(small_disk: Path) -> None:
    sink = DuckDBSink(small_disk / "warehouse.duckdb", memory_limit="64MB")
    try:
        first = sink.open_run("issues", (MAIN,), UpdateMode.REPLACE, run_id="1")
        first.write(issues(range(10)))
        first.commit(None)
        run = sink.open_run("issues", (MAIN,), UpdateMode.REPLACE, run_id="2")
        with pytest.raises(DiskFullError) as caught:
            _fill_and_commit(run)
        cause = caught.value.__cause__
        assert cause is not None
        message = str(caught.value)
        assert "no space left on device" in message.lower()
        assert "concurrent" not in message
        assert "free" in message  # says what to do
        assert isinstance(caught.value, RetryLaterError)
        assert sink.row_count("issues") == 10
    finally:
        sink.close()
    assert os.path.ismount(small_disk)
