"""Which owners count as dead: a pid gone or reused on this host, a stale heartbeat on another
host; a live owner's runs are never settled."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backlog_connector.datasets.owner import this_process
from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator


@pytest.fixture
def plane(tmp_path: Path, emulator: Emulator) -> Iterator[ControlPlane]:
    with ControlPlane.open(tmp_path / "home") as cp:
        cp.add_account("acme", base_url=emulator.base_url, api_key=emulator.api_keys["admin"])
        cp.create_dataset("Space", account="acme", report="space")
        yield cp


def _set_owner(plane: ControlPlane, run_id: int, **values: object) -> None:
    columns = ", ".join(f"{k} = ?" for k in values)
    with sqlite3.connect(plane.home / "control.sqlite") as db:
        db.execute(f"UPDATE runs SET {columns} WHERE id = ?", [*values.values(), run_id])


def _sqlite_time(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def test_another_hosts_run_is_settled_only_when_its_heartbeat_is_stale(
    plane: ControlPlane,
) -> None:
    fresh, stale = plane.queue_run("Space"), plane.queue_run("Space")
    now = datetime.now(UTC)
    _set_owner(plane, fresh.id, owner_host="elsewhere", owner_pid=4242,
               heartbeat_at=_sqlite_time(now))  # fmt: skip
    _set_owner(plane, stale.id, owner_host="elsewhere", owner_pid=4242,
               heartbeat_at=_sqlite_time(now - timedelta(hours=1)))  # fmt: skip
    runs = {r.id: r for r in plane.history("Space")}
    assert runs[fresh.id].status == "queued"
    assert runs[stale.id].status == "failed"
    assert "elsewhere pid 4242" in (runs[stale.id].error or "")
    assert "before the run started" in (runs[stale.id].error or "")


def test_a_reused_pid_on_this_host_is_a_dead_owner(plane: ControlPlane) -> None:
    reused = plane.queue_run("Space")
    # pid 1 is alive, but it is not the process that recorded the run: its start differs
    _set_owner(plane, reused.id, owner_pid=1, owner_started="another-boot:12345")
    mine = plane.queue_run("Space")
    assert plane.get_run(reused.id).status == "failed"
    assert plane.get_run(mine.id).status == "queued"  # this live process owns it
    assert plane.get_run(mine.id).owner == f"{this_process().host} pid {this_process().pid}"
