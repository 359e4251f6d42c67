"""The generated data is realistic and self-consistent (checked through the API)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from backlog_connector.emulator import Emulator

from .helpers import client

EARLIEST, LATEST = "2025-01-01T00:00:00Z", "2026-06-30T00:00:00Z"


@pytest.fixture(scope="module")
def admin(emulator: Emulator) -> Iterator[httpx.Client]:
    with client(emulator) as c:
        yield c


@pytest.fixture(scope="module")
def issues(admin: httpx.Client) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        page = admin.get("/issues", params={"count": 100, "offset": len(out)}).json()
        out.extend(page)
        if len(page) < 100:
            return out


def comments_of(admin: httpx.Client, issue_id: int) -> list[dict[str, Any]]:
    comments: list[dict[str, Any]] = admin.get(
        f"/issues/{issue_id}/comments", params={"count": 100, "order": "asc"}
    ).json()
    return comments


def test_status_changelogs_lead_to_the_current_status(
    admin: httpx.Client, issues: list[dict[str, Any]]
) -> None:
    statuses: dict[int, dict[str, int]] = {}
    changed = 0
    for issue in issues[::3]:
        project_id = issue["projectId"]
        if project_id not in statuses:
            listed = admin.get(f"/projects/{project_id}/statuses").json()
            statuses[project_id] = {s["name"]: s["id"] for s in listed}
        names = statuses[project_id]
        current = next(name for name, sid in names.items() if sid == 1)  # new issues are open
        for comment in comments_of(admin, issue["id"]):
            assert EARLIEST <= comment["created"] <= LATEST
            assert comment["created"] >= issue["created"]
            for entry in comment["changeLog"] or []:
                if entry["field"] == "status":
                    assert entry["originalValue"] == current
                    assert entry["newValue"] in names
                    current = entry["newValue"]
                    changed += 1
        assert names[current] == issue["status"]["id"], issue["issueKey"]
    assert changed > 50


def test_updated_is_the_last_comment(admin: httpx.Client, issues: list[dict[str, Any]]) -> None:
    for issue in issues[:40]:
        comments = comments_of(admin, issue["id"])
        if comments:
            assert issue["updated"] == comments[-1]["created"]
            assert issue["updatedUser"] == comments[-1]["createdUser"]
        else:
            assert issue["updated"] == issue["created"]
        assert EARLIEST <= issue["created"] <= issue["updated"] <= LATEST


def test_resolutions_come_with_done_statuses(issues: list[dict[str, Any]]) -> None:
    resolved = [i for i in issues if i["resolution"] is not None]
    assert resolved
    assert all(i["status"]["id"] in (3, 4) for i in resolved)


def test_variety(issues: list[dict[str, Any]], emulator: Emulator) -> None:
    assert any(i["assignee"] is None for i in issues)
    assert any(i["dueDate"] is None for i in issues)
    assert any(i["parentIssueId"] is not None for i in issues)
    assert any(i["attachments"] for i in issues)
    assert any(i["status"]["id"] > 4 for i in issues)  # custom statuses are used
    assert {i["status"]["id"] for i in issues} >= {1, 2, 3, 4}
    text = " ".join(i["summary"] + i["description"] for i in issues)
    assert any("\u3040" <= ch <= "\u30ff" for ch in text)  # Japanese kana
    assert any(ch.isascii() and ch.isalpha() for ch in text)
    assert any(p.archived for p in emulator.state.projects.values())
    assert all(t.member_ids for t in emulator.state.teams)


def test_parents_are_issues_of_the_same_project(
    issues: list[dict[str, Any]], emulator: Emulator
) -> None:
    by_id = {i["id"]: i for i in issues}
    three_levels = {p.id for p in emulator.state.projects.values() if p.grandchild_enabled}
    grandchildren = 0
    for issue in issues:
        if issue["parentIssueId"] is not None:
            parent = by_id[issue["parentIssueId"]]
            assert parent["projectId"] == issue["projectId"]
            if parent["parentIssueId"] is not None:  # a grandchild: only where enabled
                assert issue["projectId"] in three_levels
                assert by_id[parent["parentIssueId"]]["parentIssueId"] is None
                grandchildren += 1
    assert grandchildren > 0


def test_activity_history_spans_months(admin: httpx.Client) -> None:
    oldest = admin.get("/space/activities", params={"order": "asc", "count": 1}).json()[0]
    newest = admin.get("/space/activities", params={"count": 1}).json()[0]
    assert oldest["created"] < "2025-03-01"
    assert newest["created"] > "2026-01-01"
    assert newest["created"] <= LATEST
