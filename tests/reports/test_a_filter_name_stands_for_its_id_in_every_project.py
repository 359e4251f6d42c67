"""A filter name given to the ``issues`` report stands for its id in every chosen project: the
issue type "バグ" is id 1 in WEB and id 5 in APP, and both projects' bugs are read."""

from __future__ import annotations

from backlog_connector.backlog.client import BacklogClient
from backlog_connector.emulator import Emulator
from backlog_connector.sinks.duckdb import DuckDBSink

from .conftest import sync, table_rows


def test_an_issue_type_name_matches_in_each_project(
    admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink
) -> None:
    state = emulator.state
    bug_ids = {t.id for t in state.issue_types.values() if t.name == "バグ"}
    assert len(bug_ids) >= 2  # one per project that has the name
    sync(admin, warehouse, "issues", options={"issue_types": "バグ"}, mode="replace")
    rows = table_rows(warehouse, "issues", "id")
    expected = {i.id for i in state.issues.values() if i.issue_type_id in bug_ids}
    assert {r["id"] for r in rows} == expected
    assert {r["project_id"] for r in rows} == {
        i.project_id for i in state.issues.values() if i.id in expected
    }
