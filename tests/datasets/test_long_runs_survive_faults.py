"""A long run under heavy faults ends with exactly the tables of a fault-free run: the run's
retry budget lets an unlucky request retry past the usual six attempts, where it used to fail
the whole run and lose its progress."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from backlog_connector.backlog.retry import zero_waits
from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator

#: half the requests fail, mostly with 502 (HTML) and resets: some request of a few hundred
#: fails six times in a row (0.5^6 = 1.6 %), which ended the run before the budget existed;
#: besides, answers that hang (cut short and sent again) and 429s with budget left
FAULTS = {"http_502": 0.3, "http_503": 0.1, "reset": 0.05, "truncated": 0.05, "slow": 0.04,
          "spurious_429": 0.04}  # fmt: skip
REPORTS = ("comments", "issue_status_history")


def _tables(home: Path, emu: Emulator, faults: dict[str, float] | None) -> dict[str, Any]:
    with ControlPlane.open(home) as plane:
        plane.add_account("acme", base_url=emu.base_url, api_key=emu.api_keys["admin"])
        for report in REPORTS:
            plane.create_dataset(report, account="acme", report=report)
        if faults:
            emu.set_faults(**faults)
        with zero_waits():
            runs = plane.run_datasets(list(REPORTS))
        emu.set_faults(rate=0.0)
        for run in runs:
            assert run.status == "succeeded", (run.dataset, run.error)
        retries = sum(r.retries for r in runs)
    tables: dict[str, Any] = {"retries": retries}
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
                 if not r[0].startswith("_backlog_connector")]  # fmt: skip
        for name in sorted(names):
            columns = [c[0] for c in con.execute(f'DESCRIBE "{name}"').fetchall()
                       if c[0] not in ("_run_id", "_loaded_at", "_space")]  # fmt: skip
            listed = ", ".join(f'"{c}"' for c in columns)
            tables[name] = con.execute(f'SELECT {listed} FROM "{name}" ORDER BY ALL').fetchall()
    return tables


@pytest.mark.timeout(300)
def test_comments_and_status_history_are_exact_under_heavy_faults(
    tmp_path: Path, make_emulator: Callable[..., Emulator]
) -> None:
    clean = _tables(tmp_path / "clean", make_emulator(seed=9, issues=120, projects=2), None)
    faulty_space = make_emulator(seed=9, issues=120, projects=2, fault_seed=4, slow_seconds=0.5)
    faulty = _tables(tmp_path / "faulty", faulty_space, FAULTS)
    assert faulty.pop("retries") > 100  # the faults were real
    clean.pop("retries")
    assert set(faulty) == set(clean)
    assert any(len(rows) > 100 for rows in clean.values())
    for name, rows in clean.items():
        assert faulty[name] == rows, name
