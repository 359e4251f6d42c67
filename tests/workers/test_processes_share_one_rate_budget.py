"""Several processes of one Backlog user, through the window ledger, with another client of
that user sending requests outside it: no 429 at the wire, every read exact. (The share of
each window used is measured by bench/bench_ledger.py, not asserted here.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_ledger.py"


@pytest.mark.slow
def test_three_processes_and_an_outside_client_get_no_429() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH), "--processes", "3", "--seconds", "12",
         "--minute-seconds", "3", "--issues", "600", "--outside-every", "0.2",
         "--no-baseline"],
        capture_output=True, text=True, timeout=240, check=True,
    ).stdout  # fmt: skip
    result = json.loads(out.strip().splitlines()[-1])["ledger"]
    assert result["wire_429s"] == 0, result
    assert result["reader_429s"] == 0, result
    assert result["outside_429s"] == 0, result
    assert result["reads"] > 0, result
    assert result["exact_reads"] == result["reads"], result
    assert result["failed_reads"] == 0, result
    assert result["outside_requests"] > 0, result
    assert result["full_windows"] >= 1, result
