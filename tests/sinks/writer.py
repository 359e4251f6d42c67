"""Start ``sink_writer_proc.py`` (a slow run in a process of its own) and follow its output,
for the kill tests of both sinks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

WRITER = Path(__file__).with_name("sink_writer_proc.py")


def start_writer(
    target: Path | str, mode: str, run_id: str, batches: int, size: int, delay: float
) -> subprocess.Popen[str]:
    """A writer process into ``target`` (a DuckDB path or ``postgresql://...#schema``)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(WRITER.parent), *sys.path])}
    args = [str(target), mode, run_id, str(batches), str(size), str(delay)]
    return subprocess.Popen(
        [sys.executable, str(WRITER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_for(proc: subprocess.Popen[str], line: str) -> None:
    """Read the writer's output until ``line``; fail the test if it ends first."""
    assert proc.stdout is not None
    while True:
        got = proc.stdout.readline()
        if not got:
            _, err = proc.communicate(timeout=30)
            pytest.fail(f"the writer ended before {line!r}: {err}")
        if got.strip() == line:
            return
