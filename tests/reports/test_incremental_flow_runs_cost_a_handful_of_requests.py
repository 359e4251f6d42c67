"""After a full run, a few writes through the emulator's API (status PATCHes, a reopen, a new
issue, a deletion, a plain comment), then an incremental run: it costs a handful of requests
(asserted from the run's own stats) and leaves every table equal to a fresh full run's."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator
from backlog_connector.sinks.duckdb import open_read_only

from .conftest import client_for

REPORTS = ("cycle_times", "issue_status_history", "cumulative_flow", "throughput")
TABLES = {
    "cycle_times": (
        ("", ("issue_id",)),
        ("__time_in_status", ("issue_id", "status_id")),
        ("__status_changes", ("issue_id", "comment_id")),
    ),
    "issue_status_history": (("", ("comment_id",)),),
    "cumulative_flow": (
        ("", ("project_id", "day", "status_id")),
        ("__status_changes", ("issue_id", "comment_id")),
    ),
    "throughput": (
        ("", ("project_id", "week_start")),
        ("__status_changes", ("issue_id", "comment_id")),
    ),
}


@pytest.fixture
def plane(tmp_path: Any) -> Iterator[ControlPlane]:
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("BACKLOG_CONNECTOR_")}
    with ControlPlane.open(tmp_path / "home") as cp:
        yield cp
    os.environ.update(saved)


def _rows(cp: ControlPlane, table: str, key: tuple[str, ...]) -> list[dict[str, Any]]:
    reader = open_read_only(cp.warehouse_path)
    try:
        rows: list[dict[str, Any]] = reader.preview(table, limit=10_000_000).to_pylist()
    finally:
        reader.close()
    return sorted(rows, key=lambda r: tuple(r[k] for k in key))


def _writes(emu: Emulator) -> int:
    """A few changes through the API; returns how many activities they recorded."""
    state = emu.state
    before = len(state.a_time)
    open_ids = [i for i, t in state.issues.items() if t.status_id == 1][:3]
    closed_ids = [i for i, t in state.issues.items() if t.status_id == 4][:2]
    with client_for(emu) as client:
        for issue_id in open_ids:  # start three, close one of them
            client.patch(f"/issues/{issue_id}", [("statusId", 2)])
        client.patch(f"/issues/{open_ids[0]}", [("statusId", 4), ("comment", "done")])
        client.patch(f"/issues/{closed_ids[0]}", [("statusId", 2)])  # reopened
        client.patch(f"/issues/{closed_ids[1]}", [("assigneeId", 1)])  # not a status change
        client.post(f"/issues/{closed_ids[1]}/comments", [("content", "a note")])
        project = next(p for p in state.projects.values() if not p.archived)
        issue_type = next(t for t in state.issue_types.values() if t.project_id == project.id)
        new = client.post(
            "/issues",
            [
                ("projectId", project.id),
                ("summary", "fresh"),
                ("issueTypeId", issue_type.id),
                ("priorityId", 3),
            ],
        )
        client.patch(f"/issues/{new['id']}", [("statusId", 2)])
        victim = next(
            i
            for i, t in state.issues.items()
            if t.status_id == 3 and not state.children.get(i) and t.parent_issue_id is None
        )
        client.delete(f"/issues/{victim}")
    return len(state.a_time) - before


def test_incremental_runs_read_the_activities_and_match_a_full_run(
    make_emulator: Callable[..., Emulator], plane: ControlPlane
) -> None:
    emu = make_emulator(issues=400, projects=3)
    plane.add_account("acme", base_url=emu.base_url, api_key=emu.api_keys["admin"])
    for name in REPORTS:
        plane.create_dataset(name, account="acme", report=name)
    first = plane.run_datasets(list(REPORTS))
    assert [r.status for r in first] == ["succeeded"] * 4, [r.error for r in first]
    assert all(r.requests["read"] > 400 for r in first)  # the full read: comments per issue

    activities = _writes(emu)
    assert activities == 10
    second = plane.run_datasets(list(REPORTS))
    assert [r.status for r in second] == ["succeeded"] * 4, [r.error for r in second]
    projects = len(emu.state.projects)
    pages = math.ceil((activities + 1) / 100)
    for run in second:
        # projects list + newest activity + activity pages + status lists (one per project)
        assert run.requests["read"] <= 2 + pages + projects, (run.requests, run)
        # the touched issues, 100 per id[] search (issue_status_history needs none)
        assert run.requests.get("search", 0) <= 1, run.requests
        assert run.requests_total <= 7, run.requests

    # the same datasets created now and run in full agree row for row
    for name in REPORTS:
        plane.create_dataset(f"{name}_fresh", account="acme", report=name)
    fresh = plane.run_datasets([f"{n}_fresh" for n in REPORTS])
    assert [r.status for r in fresh] == ["succeeded"] * 4, [r.error for r in fresh]
    for name in REPORTS:
        for suffix, key in TABLES[name]:
            kept = _rows(plane, name + suffix, key)
            again = _rows(plane, f"{name}_fresh{suffix}", key)
            assert len(kept) == len(again), name + suffix
            assert kept == again, name + suffix

    cycle = {r["issue_id"]: r for r in _rows(plane, "cycle_times", ("issue_id",))}
    assert len(cycle) == len(emu.state.issues)
    reopened = [r for r in cycle.values() if r["reopened"]]
    assert reopened
    assert all(r["resolved"] is None for r in reopened if r["status_id"] != 4)
