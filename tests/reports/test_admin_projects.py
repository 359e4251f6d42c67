"""An administrator who has not joined every project: the reports see every project, as the
project picker does (GET /projects with ``all=true``), and a normal member still only its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.client import BacklogClient
from backlog_connector.backlog.credentials import ApiKey
from backlog_connector.backlog.retry import RetryPolicy
from backlog_connector.emulator import Emulator
from backlog_connector.emulator.space import ADMIN_ROLE
from backlog_connector.sinks.duckdb import DuckDBSink

from .conftest import client_for, sync, table_rows


@pytest.fixture(scope="module")
def other_admin(emulator: Emulator) -> Iterator[BacklogClient]:
    """A second administrator of the shared emulator who is not a member of every project."""
    state = emulator.state
    uid = next(
        u.id
        for u in state.users.values()
        if u.id != 1
        and u.role_type == ADMIN_ROLE
        and any(u.id not in p.member_ids for p in state.projects.values())
    )
    with BacklogClient(
        SpaceAddress.parse_base_url(emulator.base_url),
        ApiKey(state.keys_of(uid)[0]),
        account_name="test-other-admin",
        retry=RetryPolicy(testing=True),
    ) as client:
        yield client


def _not_joined(emulator: Emulator, client: BacklogClient) -> list[int]:
    uid = client.myself()["id"]
    ids = [p.id for p in emulator.state.projects.values() if uid not in p.member_ids]
    assert ids, "the emulator's data must hold a project this admin has not joined"
    return ids


def test_projects_report_lists_projects_the_admin_has_not_joined(
    other_admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink
) -> None:
    missing = _not_joined(emulator, other_admin)
    sync(other_admin, warehouse, "projects")
    ids = [r["id"] for r in table_rows(warehouse, "projects", "id")]
    assert ids == sorted(emulator.state.projects)
    assert set(missing) <= set(ids)


def test_per_project_reports_cover_every_project_for_an_admin(
    other_admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink
) -> None:
    missing = _not_joined(emulator, other_admin)
    sync(other_admin, warehouse, "issue_types")
    rows = table_rows(warehouse, "issue_types", "id")
    assert [r["id"] for r in rows] == sorted(emulator.state.issue_types)
    # a project chosen by key that the admin has not joined is accepted, not "not visible"
    key = emulator.state.projects[missing[0]].key
    sync(other_admin, warehouse, "categories", options={"projects": key})
    got = {r["project_id"] for r in table_rows(warehouse, "categories", "id")}
    expected = {
        c.project_id for c in emulator.state.categories.values() if c.project_id == missing[0]
    }
    assert expected
    assert got == expected


def test_a_member_still_sees_only_the_projects_it_joined(
    emulator: Emulator, warehouse: DuckDBSink
) -> None:
    with client_for(emulator, "member") as member:
        sync(member, warehouse, "projects")
    ids = [r["id"] for r in table_rows(warehouse, "projects", "id")]
    assert ids == sorted(p.id for p in emulator.state.projects.values() if 2 in p.member_ids)
