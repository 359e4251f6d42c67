"""A long ``comments`` / ``issue_status_history`` run that fails part-way keeps the rows of
the issues it had finished (a checkpoint every 200 issues) and the next run resumes there: it
reads the remaining issues' comments only, and the table ends exactly as a fault-free run's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator
from backlog_connector.reports.base import ProgressEvent

ISSUES = 500


def _rows(home: Path, table: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(f'SELECT * EXCLUDE (_space) FROM "{table}" ORDER BY ALL').fetchall()


@pytest.mark.parametrize("report", ["comments", "issue_status_history"])
def test_a_failed_run_keeps_its_checkpoint_and_the_next_resumes(
    tmp_path: Path, make_emulator: Callable[..., Emulator], report: str
) -> None:
    emu = make_emulator(seed=6, issues=ISSUES, projects=2)
    first_key, second_key = emu.state.keys_of(1)[:2]
    with ControlPlane.open(tmp_path / "clean") as clean:
        clean.add_account("acme", base_url=emu.base_url, api_key=second_key)
        clean.create_dataset("D", account="acme", report=report)
        (whole,) = clean.run_datasets(["D"])
        assert whole.status == "succeeded", whole.error
    expected = _rows(tmp_path / "clean", "d")

    home = tmp_path / "home"
    with ControlPlane.open(home) as plane:
        plane.add_account("acme", base_url=emu.base_url, api_key=first_key)
        plane.create_dataset("D", account="acme", report=report)
        issues_done = [0]

        def revoke_part_way(_name: str, event: ProgressEvent) -> None:
            if event.kind == "rows" and event.message.endswith(" issues"):
                issues_done[0] += 1
                if issues_done[0] == 330:  # past the checkpoints at 200 (and not yet 400)
                    emu.revoke_key(first_key)

        (failed,) = plane.run_datasets(["D"], progress=revoke_part_way)
        assert failed.status == "failed"
        assert "were kept" in (failed.error or "")
        assert failed.rows_written > 0
        assert (failed.cursor_after or {}).get("resume") is not None
        kept = failed.rows_written
        plane.update_account("acme", api_key=second_key)
        (resumed,) = plane.run_datasets(["D"])
        assert resumed.status == "succeeded", resumed.error
        assert "resume" not in (resumed.cursor_after or {})
        # the resumed run read only what the failed one had not kept
        assert resumed.requests.get("read", 0) < whole.requests.get("read", 0) * 0.7
        assert kept + resumed.rows_written >= len(expected)
    assert _rows(home, "d") == expected
