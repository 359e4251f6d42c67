"""Every report against the emulator over loopback, written through the real DuckDB sink:
row counts, keys and values against the emulator's ground truth, and the column types."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from backlog_connector.backlog.client import BacklogClient
from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.emulator import Emulator
from backlog_connector.sinks.duckdb import DuckDBSink

from .conftest import assert_declared_types, sync, table_rows

UTC = dt.UTC


def _ts(epoch: int | None) -> dt.datetime | None:
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, UTC)


def _day(day: int | None) -> dt.date | None:
    return None if day is None else dt.date(1970, 1, 1) + dt.timedelta(days=day)


def test_space(admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink) -> None:
    sync(admin, warehouse, "space")
    info = emulator.state.info
    [row] = table_rows(warehouse, "space")
    assert row["space_key"] == info.space_key
    assert row["name"] == info.name
    assert row["owner_id"] == info.owner_id
    assert row["timezone"] == info.timezone
    assert row["created"] == _ts(info.created)
    assert row["_space"] == admin.address.fqdn
    assert_declared_types(warehouse, "space", "space")


@pytest.mark.parametrize("archived", ["all", "active", "archived"])
def test_projects(
    admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink, archived: str
) -> None:
    sync(admin, warehouse, "projects", options={"archived": archived})
    truth = {
        p.id: p
        for p in emulator.state.projects.values()
        if archived == "all" or p.archived == (archived == "archived")
    }
    got = table_rows(warehouse, "projects", "id")
    assert [r["id"] for r in got] == sorted(truth)
    for row in got:
        project = truth[row["id"]]
        assert (row["project_key"], row["name"], row["archived"]) == (
            project.key,
            project.name,
            project.archived,
        )
    assert_declared_types(warehouse, "projects", "projects")


def test_users(admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink) -> None:
    sync(admin, warehouse, "users")
    users = emulator.state.users
    got = table_rows(warehouse, "users", "id")
    assert [r["id"] for r in got] == sorted(users)
    for row in got:
        user = users[row["id"]]
        assert (row["user_id"], row["name"], row["role_type"], row["mail_address"]) == (
            user.user_id,
            user.name,
            user.role_type,
            user.mail_address,
        )
        assert row["last_login_time"] == _ts(user.last_login)
    assert_declared_types(warehouse, "users", "users")


def test_teams_and_members(admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink) -> None:
    sync(admin, warehouse, "teams")
    teams = {t.id: t for t in emulator.state.teams}
    users = emulator.state.users
    got = table_rows(warehouse, "teams", "id")
    assert [r["id"] for r in got] == sorted(teams)
    for row in got:
        team = teams[row["id"]]
        assert row["member_count"] == len(team.member_ids)
        assert row["member_names"] == (", ".join(users[m].name for m in team.member_ids) or None)
    members = table_rows(warehouse, "teams__members", "team_id", "member_id")
    assert sorted((m["team_id"], m["member_id"]) for m in members) == sorted(
        (t.id, m) for t in teams.values() for m in t.member_ids
    )
    assert_declared_types(warehouse, "teams", "teams")


@pytest.mark.parametrize(
    ("report", "truth"),
    [
        ("issue_types", lambda s: {(t.project_id, t.id): t.name for t in s.issue_types.values()}),
        ("categories", lambda s: {(c.project_id, c.id): c.name for c in s.categories.values()}),
        ("versions", lambda s: {(v.project_id, v.id): v.name for v in s.versions.values()}),
        (
            "statuses",
            lambda s: {
                (pid, st.id): st.name for pid, by_id in s.statuses.items() for st in by_id.values()
            },
        ),
        (
            "custom_fields",
            lambda s: {(f.project_id, f.id): f.name for f in s.custom_fields.values()},
        ),
    ],
)
def test_per_project_lists(
    admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink, report: str, truth: Any
) -> None:
    sync(admin, warehouse, report)
    expected = truth(emulator.state)
    got = table_rows(warehouse, report, "project_id", "id")
    assert {(r["project_id"], r["id"]): r["name"] for r in got} == expected
    assert len(got) == len(expected)
    keys = {p.id: p.key for p in emulator.state.projects.values()}
    assert all(r["project_key"] == keys[r["project_id"]] for r in got)
    assert_declared_types(warehouse, report, report)


def test_per_project_lists_for_chosen_projects(
    admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink
) -> None:
    first, second = sorted(emulator.state.projects.values(), key=lambda p: p.id)[:2]
    sync(admin, warehouse, "categories", options={"projects": f"{first.key.lower()},{second.id}"})
    got = table_rows(warehouse, "categories", "id")
    assert {r["project_id"] for r in got} == {first.id, second.id}
    assert len(got) == sum(
        1 for c in emulator.state.categories.values() if c.project_id in (first.id, second.id)
    )


def test_versions_dates_and_custom_field_items(
    admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink
) -> None:
    sync(admin, warehouse, "versions")
    for row in table_rows(warehouse, "versions", "id"):
        version = emulator.state.versions[row["id"]]
        assert row["start_date"] == _day(version.start_day)
        assert row["release_due_date"] == _day(version.release_due_day)
    sync(admin, warehouse, "custom_fields")
    items = table_rows(warehouse, "custom_fields__items", "field_id", "item_id")
    assert [(r["field_id"], r["item_id"], r["item_name"]) for r in items] == sorted(
        (f.id, i.id, i.name) for f in emulator.state.custom_fields.values() for i in f.items
    )


@pytest.mark.parametrize(
    ("report", "attr"), [("priorities", "priorities"), ("resolutions", "resolutions")]
)
def test_lookups(
    admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink, report: str, attr: str
) -> None:
    sync(admin, warehouse, report)
    got = [(r["id"], r["name"]) for r in table_rows(warehouse, report, "id")]
    assert got == sorted(getattr(emulator.state, attr))
    assert_declared_types(warehouse, report, report)


def test_rate_limit(admin: BacklogClient, warehouse: DuckDBSink) -> None:
    sync(admin, warehouse, "rate_limit")
    got = table_rows(warehouse, "rate_limit", "category")
    assert [r["category"] for r in got] == ["icon", "read", "search", "update"]
    for row in got:
        assert row["limit"] >= row["remaining"] >= 0
        assert row["reset"].tzinfo is not None
    assert_declared_types(warehouse, "rate_limit", "rate_limit")


def _expected_custom(cf: Any, raw: Any) -> Any:
    names = {i.id: i.name for i in cf.items}
    match cf.type_id:
        case 3:
            return None if raw is None else float(raw)
        case 4:
            return _day(raw)
        case 5:
            return None if raw is None else names[raw]
        case 6:
            return ", ".join(names[x] for x in raw) or None
        case 7:  # ticked items, then the "other" text (alone when nothing is ticked)
            return ", ".join([*(names[x] for x in raw[0]), *([raw[1]] if raw[1] else [])]) or None
        case 8:
            picked = [names[raw[0]]] if raw and raw[0] is not None else []
            return ", ".join([*picked, *([raw[1]] if raw and raw[1] else [])]) or None
        case _:
            return raw


def test_issues_full_load(admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink) -> None:
    result = sync(admin, warehouse, "issues")
    state = emulator.state
    assert result.ctx.complete, result.ctx.incomplete_reason
    got = table_rows(warehouse, "issues", "id")
    assert [r["id"] for r in got] == sorted(state.issues)

    sync(admin, warehouse, "custom_fields")
    column_of = {r["id"]: r["column_name"] for r in table_rows(warehouse, "custom_fields")}
    for row in got:
        issue = state.issues[row["id"]]
        project = state.projects[issue.project_id]
        assert row["issue_key"] == f"{project.key}-{issue.key_id}"
        assert row["status_id"] == issue.status_id
        assert row["status_name"] == state.statuses[issue.project_id][issue.status_id].name
        assert row["issue_type_name"] == state.issue_types[issue.issue_type_id].name
        assert row["assignee_id"] == issue.assignee_id
        if issue.assignee_id is not None:
            assert row["assignee_name"] == state.users[issue.assignee_id].name
        assert row["created_user_name"] == state.users[issue.created_user_id].name
        assert row["start_date"] == _day(issue.start_day)
        assert row["due_date"] == _day(issue.due_day)
        assert row["estimated_hours"] == issue.estimated_hours
        assert row["parent_issue_id"] == issue.parent_issue_id
        assert row["created"] == _ts(issue.created)
        assert row["updated"] == _ts(issue.updated)
        assert row["attachment_count"] == len(issue.attachments)
        assert row["category_names"] == (
            ", ".join(state.categories[c].name for c in issue.category_ids) or None
        )
        for cf, raw in zip(state.project_fields[issue.project_id], issue.custom, strict=True):
            if cf.applicable_issue_types and issue.issue_type_id not in cf.applicable_issue_types:
                continue
            assert row[column_of[cf.id]] == _expected_custom(cf, raw), (issue.id, cf.name)

    categories = table_rows(warehouse, "issues__categories")
    assert sorted((r["issue_id"], r["category_id"]) for r in categories) == sorted(
        (i.id, c) for i in state.issues.values() for c in i.category_ids
    )
    milestones = table_rows(warehouse, "issues__milestones")
    assert len(milestones) == sum(len(i.milestone_ids) for i in state.issues.values())
    values = table_rows(warehouse, "issues__custom_fields")
    assert values, "the emulator sets custom-field values"
    for value in values:
        cf = state.custom_fields[value["field_id"]]
        raw = state.issues[value["issue_id"]].custom[state.project_fields[cf.project_id].index(cf)]
        if cf.type_id == 3:
            assert value["value_number"] == raw
        elif cf.type_id == 4:
            assert value["value_date"] == _day(raw)
        elif cf.type_id in (5, 6, 7, 8):
            assert value["item_names"] == _expected_custom(cf, raw)
        else:
            assert value["value_text"] == raw
    assert_declared_types(warehouse, "issues", "issues")
    described = dict(warehouse.describe("issues"))
    for cf in state.custom_fields.values():
        expected = {3: "DOUBLE", 4: "DATE"}.get(cf.type_id, "VARCHAR")
        assert described[column_of[cf.id]] == expected


def test_issue_filters(admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink) -> None:
    state = emulator.state
    project = sorted(state.projects.values(), key=lambda p: p.id)[0]
    status = state.statuses[project.id][2]
    sync(
        admin,
        warehouse,
        "issues",
        mode="replace",
        options={"projects": project.key, "statuses": status.name.upper()},
    )
    got = {r["id"] for r in table_rows(warehouse, "issues")}
    assert got == {
        i.id for i in state.issues.values() if i.project_id == project.id and i.status_id == 2
    }
    assert got


def test_issue_filter_names_that_do_not_exist(
    admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink
) -> None:
    with pytest.raises(InvalidOptionError) as caught:
        sync(admin, warehouse, "issues", options={"projects": "NOPE"})
    assert "NOPE" in str(caught.value)
    assert all(p.key in str(caught.value) for p in emulator.state.projects.values())
    with pytest.raises(InvalidOptionError, match="no status named 'Nowhere'"):
        sync(admin, warehouse, "issues", options={"statuses": "Nowhere"})
    assert "issues" not in warehouse.list_tables()


def test_recent_updates_exact_by_id(
    admin: BacklogClient, emulator: Emulator, warehouse: DuckDBSink
) -> None:
    state = emulator.state
    first = sync(admin, warehouse, "recent_updates")
    got = table_rows(warehouse, "recent_updates", "id")
    total = len(state.a_time)
    assert [r["id"] for r in got] == list(range(1, total + 1))
    assert first.ctx.new_cursor == {"version": 1, "max_id": total}
    for row in got[:200]:
        assert row["type_id"] == state.a_type[row["id"] - 1]
        assert row["project_id"] == state.a_project[row["id"] - 1]
        if row["type_id"] in (1, 2, 3):
            issue = state.issues.get(row["issue_id"]) or state.deleted_issues[row["issue_id"]]
            assert row["issue_key"] == state.issue_key(issue)
            assert row["issue_summary"] is not None
    changes = table_rows(warehouse, "recent_updates__changes")
    assert changes
    assert {c["activity_id"] for c in changes} <= {r["id"] for r in got}
    again = sync(admin, warehouse, "recent_updates")
    assert again.batches == 0
    assert warehouse.row_count("recent_updates") == total
    assert_declared_types(warehouse, "recent_updates", "recent_updates")

    sync(
        admin,
        warehouse,
        "recent_updates",
        table="deletions",
        options={"activity_types": "4"},
        mode="merge",
    )
    assert {r["type_id"] for r in table_rows(warehouse, "deletions")} <= {4}
    assert warehouse.row_count("deletions") == sum(1 for t in state.a_type if t == 4)
