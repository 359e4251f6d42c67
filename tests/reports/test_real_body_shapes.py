"""Held-out bodies shaped like the ones real spaces send (as in Nulab's published fixtures and
examples; values are our own), served at the Backlog edge by an httpx transport, read by the
reports into a real DuckDB file and checked field by field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import orjson
import pytest

from backlog_connector.backlog.address import SpaceAddress
from backlog_connector.backlog.budget import BudgetRegistry
from backlog_connector.backlog.client import BacklogClient
from backlog_connector.backlog.credentials import ApiKey
from backlog_connector.backlog.retry import RetryPolicy
from backlog_connector.reports import rejects
from backlog_connector.sinks.duckdb import DuckDBSink

from .conftest import sync, table_rows

UTC = dt.UTC
OLD_ACCOUNT = {
    "id": 7,
    "name": "hoshino",
    "roleType": 2,
    "lang": None,
    "mailAddress": "hoshino@example.org",
    "lastLoginTime": None,
}  # no userId at all
NULL_LOGIN = {
    "id": 8,
    "userId": None,
    "name": "Rin Aoki",
    "roleType": 3,
    "lang": "en",
    "nulabAccount": None,
    "mailAddress": "rin@example.org",
    "lastLoginTime": "2024-03-01T02:03:04Z",
}
NULAB = {
    "id": 9,
    "userId": "kaito",
    "name": "Kaito Mori",
    "roleType": 1,
    "lang": "ja",
    "nulabAccount": {"nulabId": "Xq81pLmN0", "name": "Kaito Mori", "uniqueId": "kaito.m"},
    "mailAddress": "kaito@example.org",
    "lastLoginTime": "2024-05-06T07:08:09Z",
}
PROJECT = {
    "id": 31,
    "projectKey": "ORBIT",
    "name": "Orbit",
    "chartEnabled": True,
    "useResolvedForChart": True,
    "subtaskingEnabled": True,
    "projectLeaderCanEditProjectLeader": False,
    "useWiki": True,
    "useDocument": True,
    "useFileSharing": True,
    "useWikiTreeView": True,
    "useSubversion": False,
    "useGit": True,
    "useOriginalImageSizeAtWiki": False,
    "textFormattingRule": "markdown",
    "archived": False,
    "displayOrder": 2147483646,
    "useDevAttributes": True,
    "grandchildIssueEnabled": True,
}
SHARED = {
    "id": 71,
    "projectId": 31,
    "type": "file",
    "dir": "/specs/",
    "name": "flow.pdf",
    "size": 3072,
    "createdUser": NULAB,
    "created": "2024-01-01T00:00:00Z",
    "updatedUser": NULAB,
    "updated": "2024-01-02T00:00:00Z",
}
STAR = {
    "id": 81,
    "comment": None,
    "url": "https://orbit.backlog.jp/view/ORBIT-5",
    "title": "[ORBIT-5] Launch window | 課題の表示 - Backlog",
    "presenter": NULL_LOGIN,
    "created": "2024-02-02T02:02:02Z",
}
ISSUE = {
    "id": 5005,
    "projectId": 31,
    "issueKey": "ORBIT-5",
    "keyId": 5,
    "issueType": {"id": 40, "projectId": 31, "name": "Task", "color": "#7ea800", "displayOrder": 0},
    "summary": "Launch window",
    "description": "pick the date",
    "resolution": None,
    "priority": {"id": 3, "name": "Normal"},
    "status": {
        "id": 2,
        "projectId": 31,
        "name": "In Progress",
        "color": "#4488c5",
        "displayOrder": 2000,
    },
    "assignee": OLD_ACCOUNT,
    "category": [],
    "versions": [],
    "milestone": [],
    # date-only fields as the midnight of Asia/Tokyo written in UTC: 16 and 31 July
    "startDate": "2014-07-15T15:00:00Z",
    "dueDate": "2014-07-30T15:00:00Z",
    "estimatedHours": 1.5,
    "actualHours": None,
    "parentIssueId": 5001,
    "createdUser": NULAB,
    "created": "2014-07-10T01:00:00Z",
    "updatedUser": NULL_LOGIN,
    "updated": "2014-07-20T01:00:00Z",
    "customFields": [
        {
            "id": 601,
            "fieldTypeId": 7,
            "name": "Checks",
            "value": [],
            "otherValue": "checked by phone",
        },
        {"id": 602, "fieldTypeId": 8, "name": "Path", "value": None, "otherValue": "north"},
        {"id": 603, "fieldTypeId": 4, "name": "Window", "value": "2014-08-11T00:00:00Z"},
    ],
    "attachments": [
        {
            "id": 91,
            "name": "orbit.png",
            "size": 4096,
            "createdUser": NULAB,
            "created": "2014-07-11T00:00:00Z",
        }
    ],
    "sharedFiles": [SHARED],
    "stars": [STAR],
    "childIssueSummary": {"total": 2, "closed": 1},
    "orbitalPeriod": {"days": 27},  # a field the connector does not know yet
}
CUSTOM_FIELDS = [
    {
        "id": 601,
        "projectId": 31,
        "typeId": 7,
        "version": 3,
        "name": "Checks",
        "description": "",
        "required": False,
        "useIssueType": False,
        "applicableIssueTypes": [],
        "displayOrder": 0,
        "items": [{"id": 1, "name": "mail", "displayOrder": 0}],
        "allowAddItem": False,
        "allowInput": True,
    },
    {
        "id": 602,
        "projectId": 31,
        "typeId": 8,
        "version": 1,
        "name": "Path",
        "description": "",
        "required": False,
        "useIssueType": False,
        "applicableIssueTypes": [],
        "displayOrder": 1,
        "items": [{"id": 2, "name": "south", "displayOrder": 0}],
        "allowAddItem": False,
        "allowInput": True,
    },
    {
        "id": 603,
        "projectId": 31,
        "typeId": 4,
        "version": 2,
        "name": "Window",
        "description": "when",
        "required": False,
        "useIssueType": False,
        "applicableIssueTypes": [],
        "displayOrder": 2,
        "min": "2014-01-01T00:00:00Z",
        "max": "2014-12-31T00:00:00Z",
        "initialDate": {"id": 2, "shift": 7, "date": None},
    },
]
COMMENTS = [
    {
        "id": 1201,
        "projectId": 31,
        "issueId": 5005,
        "content": "no changes here",
        "changeLog": [],
        "createdUser": OLD_ACCOUNT,
        "created": "2014-07-12T00:00:00Z",
        "updated": "2014-07-12T00:00:00Z",
        "stars": [],
        "notifications": [],
    },
    {
        "id": 1202,
        "projectId": 31,
        "issueId": 5005,
        "content": "attached and told",
        "changeLog": [
            {
                "field": "attachment",
                "newValue": "orbit.png",
                "originalValue": None,
                "attachmentInfo": {"id": 91, "name": "orbit.png"},
                "attributeInfo": None,
                "notificationInfo": None,
            },
            {
                "field": "notification",
                "newValue": "Rin Aoki",
                "originalValue": None,
                "attachmentInfo": None,
                "attributeInfo": None,
                "notificationInfo": {"type": "issue.update"},
            },
            {
                "field": "status",
                "newValue": "In Progress",
                "originalValue": "Open",
                "attachmentInfo": None,
                "attributeInfo": None,
                "notificationInfo": None,
            },
        ],
        "createdUser": NULAB,
        "created": "2014-07-13T00:00:00Z",
        "updated": "2014-07-13T00:00:00Z",
        "stars": [STAR],
        "notifications": [
            {
                "id": 3,
                "alreadyRead": False,
                "reason": 2,
                "user": NULL_LOGIN,
                "resourceAlreadyRead": False,
            }
        ],
    },
]
REPO = {
    "id": 401,
    "projectId": 31,
    "name": "orbit-app",
    "description": "the app",
    "hookUrl": None,
    "httpUrl": "https://orbit.backlog.jp/git/ORBIT/orbit-app.git",
    "sshUrl": "orbit@orbit.git.backlog.jp:/ORBIT/orbit-app.git",
    "displayOrder": 0,
    "pushedAt": "2024-04-01T10:00:00Z",
    "createdUser": NULAB,
    "created": "2024-03-01T10:00:00Z",
    "updatedUser": NULAB,
    "updated": "2024-03-02T10:00:00Z",
}
PULL_REQUEST = {
    "id": 501,
    "projectId": 31,
    "repositoryId": 401,
    "number": 12,
    "summary": "Fix orbit",
    "description": "fixes ORBIT-5",
    "base": "main",
    "branch": "fix/orbit",
    "status": {"id": 3, "name": "Merged"},
    "assignee": None,
    "issue": {"id": 5005},
    "baseCommit": "a1b2",
    "branchCommit": "c3d4",
    "mergeCommit": "e5f6",
    "closeAt": "2024-04-03T00:00:00Z",
    "mergeAt": "2024-04-03T00:00:00Z",
    "createdUser": NULL_LOGIN,
    "created": "2024-04-02T00:00:00Z",
    "updatedUser": NULAB,
    "updated": "2024-04-03T00:00:00Z",
    "attachments": [],
    "stars": [STAR],
}
PR_COMMENTS = [
    {
        "id": 801,
        "content": "merging",
        "changeLog": [{"field": "status", "newValue": "Merged", "originalValue": "Open"}],
        "createdUser": NULAB,
        "created": "2024-04-03T00:00:00Z",
        "updated": "2024-04-03T00:00:00Z",
        "stars": [],
        "notifications": [],
    },
]
WIKIS = [
    {
        "id": 301,
        "projectId": 31,
        "name": "Home",
        "tags": [{"id": 1, "name": "start"}, {"id": 2, "name": "team"}],
        "createdUser": OLD_ACCOUNT,
        "created": "2024-01-05T00:00:00Z",
        "updatedUser": NULAB,
        "updated": "2024-01-06T00:00:00Z",
    }
]
DOCUMENTS = [
    {
        "id": "0190a1b2c3d4e5f60718293a4b5c6d7e",
        "projectId": 31,
        "title": "Runbook",
        "plain": "step one",
        "json": '{"type":"doc"}',
        "statusId": 1,
        "emoji": "📘",
        "attachments": [],
        "tags": [{"id": 5, "name": "ops"}],
        "createdUser": NULAB,
        "created": "2024-06-01T00:00:00Z",
        "updatedUser": NULAB,
        "updated": "2024-06-02T00:00:00Z",
    }
]
VERSIONS = [
    {
        "id": 61,
        "projectId": 31,
        "name": "R2014-07",
        "description": "",
        "startDate": "2014-06-30T15:00:00Z",
        "releaseDueDate": "2014-07-30T15:00:00Z",
        "archived": False,
        "displayOrder": 0,
    },
    {
        "id": 62,
        "projectId": 31,
        "name": "someday",
        "description": None,
        "startDate": None,
        "releaseDueDate": None,
        "archived": True,
        "displayOrder": 1,
    },
]
TEAMS = [
    {
        "id": 11,
        "name": "crew",
        "members": [OLD_ACCOUNT, NULAB],
        "displayOrder": None,
        "createdUser": NULAB,
        "created": "2014-01-01T00:00:00Z",
        "updatedUser": NULAB,
        "updated": "2014-01-01T00:00:00Z",
    }
]
ACTIVITIES = [
    {
        "id": 9001,
        "project": PROJECT,
        "type": 20,
        "content": {
            "id": 501,
            "number": 12,
            "summary": "Fix orbit",
            "description": "fixes ORBIT-5",
            "comment": {"id": 801, "content": "merging"},
            "changes": [{"field": "status", "new_value": "3", "old_value": "1"}],
            "issue": {"id": 5005, "key_id": 5, "summary": "Launch window", "description": ""},
            "repository": {"id": 401, "name": "orbit-app", "description": "the app"},
        },
        "notifications": [],
        "createdUser": NULAB,
        "created": "2024-04-03T00:00:00Z",
    },
    {
        "id": 9002,
        "project": PROJECT,
        "type": 3,
        "content": {
            "id": 5005,
            "key_id": 5,
            "summary": "Launch window",
            "description": "",
            "comment": {"id": 1202, "content": "attached and told"},
            "changes": [
                {"field": "status", "new_value": "2", "old_value": "1", "type": "standard"}
            ],
            "attachments": [],
            "shared_files": [],
            "external_file_links": [],
        },
        "notifications": [],
        "createdUser": NULAB,
        "created": "2024-04-04T00:00:00Z",
    },
]


def _routes() -> dict[str, Any]:
    repo = "/api/v2/projects/31/git/repositories/401"
    return {
        "/api/v2/space": {
            "spaceKey": "orbit",
            "name": "Orbit Inc.",
            "ownerId": 9,
            "lang": "ja",
            "timezone": "Asia/Tokyo",
            "reportSendTime": "08:00:00",
            "textFormattingRule": "markdown",
            "created": "2014-01-01T00:00:00Z",
            "updated": "2014-01-02T00:00:00Z",
        },
        "/api/v2/users": [OLD_ACCOUNT, NULL_LOGIN, NULAB],
        "/api/v2/projects": [PROJECT],
        "/api/v2/projects/31/customFields": CUSTOM_FIELDS,
        "/api/v2/projects/31/users": [OLD_ACCOUNT, NULAB],
        "/api/v2/projects/31/statuses": [
            {"id": 1, "projectId": 31, "name": "Open", "color": "#ed8077", "displayOrder": 1000},
            {
                "id": 2,
                "projectId": 31,
                "name": "In Progress",
                "color": "#4488c5",
                "displayOrder": 2000,
            },
        ],
        "/api/v2/issues": [ISSUE],
        "/api/v2/issues/count": {"count": 1},
        "/api/v2/issues/5005/comments": COMMENTS,
        "/api/v2/space/activities": ACTIVITIES,
        "/api/v2/projects/31/git/repositories": [REPO],
        f"{repo}/pullRequests": [PULL_REQUEST],
        f"{repo}/pullRequests/count": {"count": 1},
        f"{repo}/pullRequests/12/comments": PR_COMMENTS,
        "/api/v2/wikis": WIKIS,
        "/api/v2/wikis/count": {"count": 1},
        "/api/v2/documents": DOCUMENTS,
        "/api/v2/projects/31/versions": VERSIONS,
        "/api/v2/teams": TEAMS,
    }


def _serve(request: httpx.Request) -> httpx.Response:
    body = _routes().get(request.url.path)
    if body is None:
        return httpx.Response(
            404, json={"errors": [{"message": "No such API.", "code": 6, "moreInfo": ""}]}
        )
    query = dict(parse_qsl(request.url.query.decode()))
    if isinstance(body, list):
        if int(query.get("offset", "0")) > 0:
            body = []
        if "minId" in query:
            body = [b for b in body if b["id"] > int(query["minId"])]
        if "maxId" in query:
            body = [b for b in body if b["id"] < int(query["maxId"])]
        if query.get("order") == "desc":
            body = sorted(body, key=lambda b: b["id"], reverse=True)
        if "count" in query:
            body = body[: int(query["count"])]
    return httpx.Response(
        200, content=orjson.dumps(body), headers={"Content-Type": "application/json;charset=utf-8"}
    )


@pytest.fixture
def real() -> Iterator[BacklogClient]:
    with BacklogClient(
        SpaceAddress.parse_fqdn("orbit.backlog.jp"),
        ApiKey("held-out-bodies-key"),
        account_name="orbit",
        user_key="orbit.backlog.jp:9",
        budgets=BudgetRegistry(),
        retry=RetryPolicy(testing=True),
        transport=httpx.MockTransport(_serve),
    ) as client:
        yield client


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[DuckDBSink]:
    sink = DuckDBSink(tmp_path / "w.duckdb")
    yield sink
    sink.close()


def _read(
    real: BacklogClient, sink: DuckDBSink, report: str, table: str = "", **options: str
) -> tuple[list[dict[str, Any]], rejects.RejectLog]:
    with rejects.collecting() as log:
        sync(real, sink, report, options=options or None)
    return table_rows(sink, table or report), log


def _ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_users_without_login_id_or_nulab_account(
    real: BacklogClient, warehouse: DuckDBSink
) -> None:
    rows, log = _read(real, warehouse, "users")
    by_id = {r["id"]: r for r in rows}
    assert by_id[7]["user_id"] is None
    assert by_id[7]["nulab_account_nulab_id"] is None
    assert by_id[7]["last_login_time"] is None
    assert by_id[7]["lang"] is None
    assert by_id[8]["user_id"] is None
    assert by_id[8]["role_name"] is not None
    assert by_id[9]["nulab_account_unique_id"] == "kaito.m"
    assert by_id[9]["last_login_time"] == _ts("2024-05-06T07:08:09Z")
    assert all(r["_extra"] is None for r in rows)
    assert log.count == 0


def test_issue_fields_tokyo_dates_files_stars_other_values_and_new_fields(
    real: BacklogClient, warehouse: DuckDBSink
) -> None:
    [row], log = _read(real, warehouse, "issues")
    assert log.count == 0
    assert row["id"] == 5005
    assert row["issue_key"] == "ORBIT-5"
    assert row["start_date"] == dt.date(2014, 7, 16)  # 15:00Z is the next day in Tokyo
    assert row["due_date"] == dt.date(2014, 7, 31)
    assert row["assignee_id"] == 7
    assert row["assignee_user_id"] is None
    assert row["updated_user_user_id"] is None
    assert row["updated_user_name"] == "Rin Aoki"
    assert row["parent_issue_id"] == 5001
    assert row["estimated_hours"] == 1.5
    assert (row["attachment_count"], row["shared_file_count"], row["star_count"]) == (1, 1, 1)
    assert row["cf_checks"] == "checked by phone"  # only the "other" text: kept, not NULL
    assert row["cf_path"] == "north"
    assert row["cf_window"] == dt.date(2014, 8, 11)
    assert orjson.loads(row["_extra"]) == {
        "childIssueSummary": {"total": 2, "closed": 1},
        "orbitalPeriod": {"days": 27},
    }
    values = {r["field_id"]: r for r in table_rows(warehouse, "issues__custom_fields")}
    assert values[601]["other_value"] == "checked by phone"
    assert values[601]["item_ids"] == []
    assert values[602]["other_value"] == "north"


def test_custom_field_definitions_with_version_and_date_range(
    real: BacklogClient, warehouse: DuckDBSink
) -> None:
    rows, log = _read(real, warehouse, "custom_fields")
    by_id = {r["id"]: r for r in rows}
    assert by_id[603]["min_date"] == dt.date(2014, 1, 1)
    assert by_id[603]["max_date"] == dt.date(2014, 12, 31)
    assert by_id[603]["initial_date_shift"] == 7
    assert orjson.loads(by_id[601]["_extra"]) == {"version": 3, "useIssueType": False}
    assert by_id[601]["allow_input"] is True
    assert log.count == 0


def test_comments_empty_change_log_attachment_and_notification_entries(
    real: BacklogClient, warehouse: DuckDBSink
) -> None:
    rows, _ = _read(real, warehouse, "comments")
    by_id = {r["id"]: r for r in rows}
    assert by_id[1201]["change_count"] == 0
    assert by_id[1201]["changed_fields"] is None
    assert by_id[1201]["created_user_user_id"] is None
    assert by_id[1202]["changed_fields"] == "attachment, notification, status"
    assert by_id[1202]["star_count"] == 1
    log = table_rows(warehouse, "comments__change_log", "comment_id", "position")
    assert [(c["field"], c["attachment_info_id"], c["notification_info_type"]) for c in log] == [
        ("attachment", 91, None),
        ("notification", None, "issue.update"),
        ("status", None, None),
    ]
    assert all(r["_extra"] is None for r in rows)  # stars and notifications are known fields


def test_pull_request_activity_is_kept_apart_from_issue_comments_and_statuses(
    real: BacklogClient, warehouse: DuckDBSink
) -> None:
    rows, _ = _read(real, warehouse, "recent_updates")
    pr, issue = sorted(rows, key=lambda r: r["id"])
    assert (pr["subject"], pr["type_name"]) == ("pull_request", "Pull request commented")
    assert pr["comment_id"] is None
    assert pr["comment_content"] is None
    assert (pr["pull_request_comment_id"], pr["pull_request_comment_content"]) == (801, "merging")
    assert (pr["pull_request_id"], pr["pull_request_number"]) == (501, 12)
    assert (pr["repository_id"], pr["repository_name"]) == (401, "orbit-app")
    assert pr["issue_id"] == 5005  # the linked issue, still named
    assert (issue["subject"], issue["comment_id"], issue["pull_request_comment_id"]) == (
        "issue",
        1202,
        None,
    )
    changes = table_rows(warehouse, "recent_updates__changes", "activity_id")
    assert [(c["activity_id"], c["field"], c["subject"]) for c in changes] == [
        (9002, "status", "issue")
    ]
    pr_changes = table_rows(warehouse, "recent_updates__pull_request_changes", "activity_id")
    assert [
        (c["activity_id"], c["pull_request_id"], c["field"], c["new_value"]) for c in pr_changes
    ] == [(9001, 501, "status", "3")]
    # the issue status history reads issue comments only: the merge is not an issue status
    history = _read(real, warehouse, "issue_status_history")[0]
    assert [(h["comment_id"], h["to_status"]) for h in history] == [(1202, "In Progress")]


def test_git_repositories_pull_requests_and_their_comments(
    real: BacklogClient, warehouse: DuckDBSink
) -> None:
    [repo], _ = _read(real, warehouse, "git_repositories")
    assert (repo["id"], repo["project_key"], repo["name"]) == (401, "ORBIT", "orbit-app")
    assert repo["pushed_at"] == _ts("2024-04-01T10:00:00Z")
    assert repo["hook_url"] is None
    [pr], log = _read(real, warehouse, "pull_requests")
    assert log.count == 0
    assert (pr["number"], pr["status_name"], pr["issue_id"], pr["repository_name"]) == (
        12,
        "Merged",
        5005,
        "orbit-app",
    )
    assert pr["assignee_id"] is None
    assert pr["created_user_user_id"] is None
    assert (pr["merge_commit"], pr["merge_at"]) == ("e5f6", _ts("2024-04-03T00:00:00Z"))
    assert pr["star_count"] == 1
    assert pr["_extra"] is None
    [comment] = table_rows(warehouse, "pull_requests__comments")
    assert (
        comment["pull_request_id"],
        comment["comment_id"],
        comment["status_from"],
        comment["status_to"],
    ) == (501, 801, "Open", "Merged")


def test_wikis_documents_and_project_members(real: BacklogClient, warehouse: DuckDBSink) -> None:
    [wiki], _ = _read(real, warehouse, "wikis")
    assert (wiki["id"], wiki["project_key"], wiki["tag_names"]) == (301, "ORBIT", "start, team")
    assert wiki["created_user_user_id"] is None
    [doc], _ = _read(real, warehouse, "documents")
    assert (doc["id"], doc["title"], doc["emoji"], doc["tag_names"]) == (
        "0190a1b2c3d4e5f60718293a4b5c6d7e",
        "Runbook",
        "📘",
        "ops",
    )
    assert doc["project_key"] == "ORBIT"
    assert doc["updated"] == _ts("2024-06-02T00:00:00Z")
    members, _ = _read(real, warehouse, "project_members")
    assert sorted((m["project_id"], m["id"], m["user_id"]) for m in members) == [
        (31, 7, None),
        (31, 9, "kaito"),
    ]


def test_projects_space_versions_and_teams(real: BacklogClient, warehouse: DuckDBSink) -> None:
    [project], _ = _read(real, warehouse, "projects")
    assert (project["project_key"], project["grandchild_issue_enabled"]) == ("ORBIT", True)
    assert project["display_order"] == 2147483646
    assert project["use_document"] is True
    assert project["_extra"] is None  # every field of the body has its column
    [space], _ = _read(real, warehouse, "space")
    assert (space["space_key"], space["timezone"], space["owner_id"]) == ("orbit", "Asia/Tokyo", 9)
    versions, _ = _read(real, warehouse, "versions")
    by_id = {v["id"]: v for v in versions}
    assert (by_id[61]["start_date"], by_id[61]["release_due_date"]) == (
        dt.date(2014, 7, 1),
        dt.date(2014, 7, 31),
    )  # Tokyo midnights
    assert by_id[62]["start_date"] is None
    assert by_id[62]["archived"] is True
    [team], _ = _read(real, warehouse, "teams")
    assert (team["member_count"], team["member_names"]) == (2, "hoshino, Kaito Mori")
    members = table_rows(warehouse, "teams__members", "member_id")
    assert [(m["member_id"], m["member_user_id"]) for m in members] == [(7, None), (9, "kaito")]
