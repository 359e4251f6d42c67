"""Incremental append of ``issues``: runs without a change add no row (the rows at the cursor
boundary come back from the search and are not appended again); a change adds exactly the
changed issues."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.client import BacklogClient
from backlog_connector.backlog.credentials import ApiKey
from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator


def _rows(plane: ControlPlane) -> tuple[int, int]:
    plane.close()  # release the warehouse to read it from outside
    with duckdb.connect(str(plane.warehouse_path), read_only=True) as con:
        row = con.execute("SELECT count(*), count(DISTINCT id) FROM issues").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_no_change_runs_append_nothing_and_a_change_appends_it(
    tmp_path: Path, make_emulator: Callable[..., Emulator]
) -> None:
    emu = make_emulator(issues=120, projects=2)
    home = tmp_path / "home"
    with ControlPlane.open(home) as plane:
        plane.add_account("acme", base_url=emu.base_url, api_key=emu.api_keys["admin"])
        plane.create_dataset("Issues", account="acme", report="issues", update_mode="append")
        for _ in range(6):
            (run,) = plane.run_datasets(["Issues"])
            assert run.status == "succeeded", run.error
        assert _rows(plane) == (120, 120)
    with ControlPlane.open(home) as plane:
        changed = sorted(emu.state.issues)[:3]
        with httpx_client(emu) as client:
            for issue_id in changed:
                client.patch(f"/issues/{issue_id}", [("summary", "changed")])
        (run,) = plane.run_datasets(["Issues"])
        assert run.status == "succeeded", run.error
        assert run.rows_written >= 3
        assert _rows(plane) == (123, 120)
        (again,) = plane.run_datasets(["Issues"])
        assert again.status == "succeeded"
        assert _rows(plane) == (123, 120)


def httpx_client(emu: Emulator) -> BacklogClient:
    return BacklogClient(SpaceAddress.parse_base_url(emu.base_url), ApiKey(emu.api_keys["admin"]))
