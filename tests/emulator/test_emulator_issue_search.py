"""Issue search: filters ORed within a parameter and ANDed across, sorting, paging, count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from backlog_connector.emulator import Emulator
from backlog_connector.emulator.model import Issue

from .helpers import client

Params = list[tuple[str, Any]]


@pytest.fixture(scope="module")
def admin(emulator: Emulator) -> Iterator[httpx.Client]:
    with client(emulator) as c:
        yield c


def all_ids(c: httpx.Client, params: Params) -> list[int]:
    """Page through a search; also checks that /issues/count agrees."""
    ids: list[int] = []
    while True:
        page = c.get("/issues", params=[*params, ("count", 100), ("offset", len(ids))]).json()
        ids.extend(i["id"] for i in page)
        if len(page) < 100:
            break
    assert c.get("/issues/count", params=params).json() == {"count": len(ids)}
    return ids


def expect(emulator: Emulator, keep: Callable[[Issue], bool]) -> set[int]:
    found = {i.id for i in emulator.state.issues.values() if keep(i)}
    assert found, "the filter must match something for the test to mean anything"
    assert len(found) < len(emulator.state.issues), "and must leave something out"
    return found


def day(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).date().isoformat()


def test_paging_covers_every_issue_once(admin: httpx.Client, emulator: Emulator) -> None:
    ids = all_ids(admin, [])
    assert len(ids) == len(set(ids)) == len(emulator.state.issues)


def test_project_filter_or_within(admin: httpx.Client, emulator: Emulator) -> None:
    got = set(all_ids(admin, [("projectId[]", 1), ("projectId[]", 3)]))
    assert got == expect(emulator, lambda i: i.project_id in (1, 3))


def test_filters_and_across(admin: httpx.Client, emulator: Emulator) -> None:
    params: Params = [("projectId[]", 1), ("statusId[]", 1), ("statusId[]", 4)]
    got = set(all_ids(admin, params))
    assert got == expect(emulator, lambda i: i.project_id == 1 and i.status_id in (1, 4))


@pytest.mark.parametrize(
    ("param", "attr"),
    [
        ("issueTypeId[]", "issue_type_id"),
        ("priorityId[]", "priority_id"),
        ("assigneeId[]", "assignee_id"),
        ("createdUserId[]", "created_user_id"),
        ("resolutionId[]", "resolution_id"),
        ("id[]", "id"),
        ("parentIssueId[]", "parent_issue_id"),
    ],
)
def test_single_valued_filters(
    admin: httpx.Client, emulator: Emulator, param: str, attr: str
) -> None:
    values = sorted({getattr(i, attr) for i in emulator.state.issues.values()} - {None})[:2]
    got = set(all_ids(admin, [(param, v) for v in values]))
    assert got == expect(emulator, lambda i: getattr(i, attr) in values)


@pytest.mark.parametrize(
    ("param", "attr"),
    [
        ("categoryId[]", "category_ids"),
        ("versionId[]", "version_ids"),
        ("milestoneId[]", "milestone_ids"),
    ],
)
def test_multi_valued_filters(
    admin: httpx.Client, emulator: Emulator, param: str, attr: str
) -> None:
    values = sorted({v for i in emulator.state.issues.values() for v in getattr(i, attr)})[:2]
    got = set(all_ids(admin, [(param, v) for v in values]))
    assert got == expect(emulator, lambda i: bool(set(getattr(i, attr)) & set(values)))


@pytest.mark.parametrize(
    ("mode", "keep"),
    [
        (1, lambda i, kids: i.parent_issue_id is None),
        (2, lambda i, kids: i.parent_issue_id is not None),
        (3, lambda i, kids: i.parent_issue_id is None and not kids.get(i.id)),
        (4, lambda i, kids: bool(kids.get(i.id))),
    ],
)
def test_parent_child(admin: httpx.Client, emulator: Emulator, mode: int, keep: Any) -> None:
    kids = emulator.state.children
    got = set(all_ids(admin, [("parentChild", mode)]))
    assert got == expect(emulator, lambda i: keep(i, kids))


def test_date_ranges_are_inclusive_days(admin: httpx.Client, emulator: Emulator) -> None:
    issues = sorted(emulator.state.issues.values(), key=lambda i: i.created)
    since, until = day(issues[50].created), day(issues[150].created)
    got = set(all_ids(admin, [("createdSince", since), ("createdUntil", until)]))
    assert got == expect(emulator, lambda i: since <= day(i.created) <= until)
    got = set(all_ids(admin, [("updatedSince", since)]))
    assert got == expect(emulator, lambda i: day(i.updated) >= since)


def test_due_and_start_dates(admin: httpx.Client, emulator: Emulator) -> None:
    due = sorted(i.due_day for i in emulator.state.issues.values() if i.due_day is not None)
    mid = (dt.date(1970, 1, 1) + dt.timedelta(days=due[len(due) // 2])).isoformat()
    got = set(all_ids(admin, [("dueDateUntil", mid)]))
    epoch_day = dt.date(1970, 1, 1)
    assert got == expect(
        emulator,
        lambda i: (
            i.due_day is not None and (epoch_day + dt.timedelta(days=i.due_day)).isoformat() <= mid
        ),
    )
    got = set(all_ids(admin, [("startDateSince", "2025-01-01")]))
    assert got == expect(emulator, lambda i: i.start_day is not None)
    got = set(all_ids(admin, [("hasDueDate", "false")]))
    assert got == expect(emulator, lambda i: i.due_day is None)


def test_keyword(admin: httpx.Client, emulator: Emulator) -> None:
    got = set(all_ids(admin, [("keyword", "csv")]))
    assert got == expect(
        emulator, lambda i: "csv" in i.summary.lower() or "csv" in i.description.lower()
    )


def test_custom_field_filters(admin: httpx.Client, emulator: Emulator) -> None:
    fields = emulator.state.project_fields[1]
    single = next(f for f in fields if f.type_id == 5)
    number = next(f for f in fields if f.type_id == 3)
    index_single, index_number = fields.index(single), fields.index(number)
    item = single.items[0].id
    got = set(all_ids(admin, [(f"customField_{single.id}[]", item)]))
    assert got == expect(
        emulator, lambda i: i.project_id == 1 and emulator.state.custom_of(i)[index_single] == item
    )
    got = set(
        all_ids(admin, [(f"customField_{number.id}_min", 5), (f"customField_{number.id}_max", 9)])
    )
    assert got == expect(
        emulator,
        lambda i: (
            i.project_id == 1
            and emulator.state.custom_of(i)[index_number] is not None
            and 5 <= emulator.state.custom_of(i)[index_number] <= 9
        ),
    )


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("updated", lambda i, s: i.updated),
        ("summary", lambda i, s: i.summary),
        ("priority", lambda i, s: i.priority_id),
        ("status", lambda i, s: s.statuses[i.project_id][i.status_id].display_order),
        ("dueDate", lambda i, s: i.due_day),
        ("estimatedHours", lambda i, s: i.estimated_hours),
    ],
)
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sort_and_order(
    admin: httpx.Client, emulator: Emulator, sort: str, key: Any, order: str
) -> None:
    ids = all_ids(admin, [("sort", sort), ("order", order)])
    state = emulator.state

    def full_key(i: Issue) -> tuple[bool, Any, int]:
        value = key(i, state)
        return (value is not None, value if value is not None else 0, i.id)

    expected = sorted(state.issues.values(), key=full_key, reverse=order == "desc")
    assert ids == [i.id for i in expected]


def test_created_ascending(admin: httpx.Client, emulator: Emulator) -> None:
    ids = all_ids(admin, [("sort", "created"), ("order", "asc"), ("projectId[]", 2)])
    issues = [emulator.state.issues[i] for i in ids]
    assert [(i.created, i.id) for i in issues] == sorted((i.created, i.id) for i in issues)


def test_paging_slices_after_sorting(admin: httpx.Client) -> None:
    whole = admin.get("/issues", params={"sort": "summary", "count": 100}).json()
    part = admin.get("/issues", params={"sort": "summary", "count": 10, "offset": 30}).json()
    assert [i["id"] for i in part] == [i["id"] for i in whole[30:40]]
    past_end = admin.get("/issues", params={"offset": 100_000}).json()
    assert past_end == []


def test_unknown_custom_field_is_refused(admin: httpx.Client) -> None:
    response = admin.get("/issues", params={"customField_999999[]": 1})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == 7


def test_unassigned_is_assignee_minus_one(admin: httpx.Client, emulator: Emulator) -> None:
    got = set(all_ids(admin, [("assigneeId[]", -1)]))
    assert got == expect(emulator, lambda i: i.assignee_id is None)
