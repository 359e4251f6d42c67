"""Flattening, typing and batching of Backlog's JSON shapes (no server needed)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from backlog_connector.reports.batching import BatchBuffer, batches_of
from backlog_connector.reports.columns import TableShape, field
from backlog_connector.reports.custom_fields import plan_columns, table_columns
from backlog_connector.reports.issue_columns import ISSUE_CHILDREN, ISSUES_TABLE
from backlog_connector.reports.naming import column_name, sanitize, snake_case
from backlog_connector.reports.people import (
    TEAM_MEMBERS_TABLE,
    TEAMS_TABLE,
    USERS_TABLE,
    team_members,
)
from backlog_connector.reports.project_lists import CATEGORIES_TABLE
from backlog_connector.reports.projects import PROJECTS_TABLE
from backlog_connector.reports.values import (
    DATE,
    FLOAT,
    INT,
    INT_LIST,
    STRING,
    TIMESTAMP,
    to_array,
)

UTC = dt.UTC

ADMIN = {
    "id": 1,
    "userId": "admin",
    "name": "admin",
    "roleType": 1,
    "lang": "ja",
    "nulabAccount": None,
    "mailAddress": "eguchi@nulab.example",
    "lastLoginTime": "2022-09-01T06:35:39Z",
}
EGUCHI = {
    "id": 2,
    "userId": "eguchi",
    "name": "eguchi",
    "roleType": 2,
    "lang": None,
    "nulabAccount": {"nulabId": "tSa", "name": "eguchi", "uniqueId": "eguchi"},
    "mailAddress": "eguchi@nulab.example",
    "lastLoginTime": "2022-09-01T06:35:39Z",
}

# The issue example of backlog-api.md §4.7
DOC_ISSUE = {
    "id": 1,
    "projectId": 1,
    "issueKey": "BLG-1",
    "keyId": 1,
    "issueType": {"id": 2, "projectId": 1, "name": "タスク", "color": "#7ea800", "displayOrder": 0},
    "summary": "first issue",
    "description": "",
    "resolution": None,
    "priority": {"id": 3, "name": "中"},
    "status": {"id": 1, "projectId": 1, "name": "未対応", "color": "#ed8077", "displayOrder": 1000},
    "assignee": EGUCHI,
    "category": [],
    "versions": [],
    "milestone": [
        {
            "id": 30,
            "projectId": 1,
            "name": "wait for release",
            "description": "",
            "startDate": None,
            "releaseDueDate": None,
            "archived": False,
            "displayOrder": 0,
        }
    ],
    "startDate": None,
    "dueDate": "2013-02-15T00:00:00Z",
    "estimatedHours": 2.5,
    "actualHours": None,
    "parentIssueId": None,
    "createdUser": ADMIN,
    "created": "2012-07-23T06:10:15Z",
    "updatedUser": ADMIN,
    "updated": "2013-02-07T08:09:49Z",
    "customFields": [
        {
            "id": 1073742490,
            "fieldTypeId": 5,
            "name": "しんぐるりすと",
            "value": {"id": 1, "name": "たまご", "displayOrder": 0},
        }
    ],
    "attachments": [{"id": 1, "name": "IMGP0088.JPG", "size": 85079}],
    "sharedFiles": [],
    "stars": [
        {
            "id": 10,
            "comment": None,
            "url": "https://xx.backlog.jp/view/BLG-1",
            "title": "t",
            "presenter": EGUCHI,
            "created": "2013-07-08T10:24:28Z",
        }
    ],
}

# An issue as old spaces send it (backlog4j fixtures, around 2014)
OLD_ISSUE = {
    "id": 7,
    "projectId": 1,
    "issueKey": "BLG-7",
    "keyId": 7,
    "issueType": {"id": 2, "name": "Task"},
    "summary": "old",
    "description": "x",
    "priority": {"id": 3, "name": "Normal"},
    "status": {"id": 2, "name": "In Progress"},  # no colour, no projectId
    "assignee": {"id": 5, "name": "no login id"},  # a user without userId
    "category": [{"id": 12, "name": "Dev", "displayOrder": 0}],  # category without projectId
    "versions": [],
    "milestone": [],
    "limitDate": "2014-06-30T15:00:00Z",  # legacy alias of dueDate, JST midnight
    "createdUser": ADMIN,
    "created": "2014-06-01T00:00:00Z",
    "updatedUser": ADMIN,
    "updated": "2014-06-02T00:00:00Z",
    "someFieldFromTheFuture": {"x": 1},
}


def _row(batch: pa.RecordBatch, index: int = 0) -> dict[str, object]:
    return {name: batch.column(name)[index].as_py() for name in batch.schema.names}


def test_camel_case_becomes_snake_case() -> None:
    assert snake_case("projectKey") == "project_key"
    assert snake_case("useOriginalImageSizeAtWiki") == "use_original_image_size_at_wiki"
    assert snake_case("key_id") == "key_id"
    assert snake_case("URLPath") == "url_path"
    assert column_name("status.name") == "status_name"
    assert column_name("assignee.id") == "assignee_id"
    assert column_name("nulabAccount.uniqueId") == "nulab_account_unique_id"
    assert sanitize("Story Points (SP)") == "story_points_sp"
    assert sanitize("しんぐる りすと") == "しんぐる_りすと"
    assert sanitize("!!!") == ""


def test_doc_issue_is_flattened_and_typed() -> None:
    batch = ISSUES_TABLE.batch([DOC_ISSUE], "acme.backlog.com")
    row = _row(batch)
    assert row["id"] == 1
    assert row["issue_key"] == "BLG-1"
    assert row["issue_type_name"] == "タスク"
    assert row["issue_type_color"] == "#7ea800"
    assert row["status_name"] == "未対応"
    assert row["priority_name"] == "中"
    assert row["resolution_id"] is None
    assert row["resolution_name"] is None
    assert (row["assignee_id"], row["assignee_user_id"], row["assignee_name"]) == (
        2,
        "eguchi",
        "eguchi",
    )
    assert row["created_user_name"] == "admin"
    assert row["updated_user_name"] == "admin"
    assert row["milestone_names"] == "wait for release"
    assert row["category_names"] is None
    assert row["due_date"] == dt.date(2013, 2, 15)
    assert row["start_date"] is None
    assert row["estimated_hours"] == 2.5
    assert row["actual_hours"] is None
    assert row["created"] == dt.datetime(2012, 7, 23, 6, 10, 15, tzinfo=UTC)
    assert row["updated"] == dt.datetime(2013, 2, 7, 8, 9, 49, tzinfo=UTC)
    assert (row["attachment_count"], row["shared_file_count"], row["star_count"]) == (1, 0, 1)
    assert row["_space"] == "acme.backlog.com"
    types = dict(zip(batch.schema.names, batch.schema.types, strict=True))
    assert types["id"] == pa.int64()
    assert types["assignee_id"] == pa.int64()
    assert types["created"] == pa.timestamp("s", tz="UTC")
    assert types["due_date"] == pa.date32()
    assert types["estimated_hours"] == pa.float64()


def test_old_issue_shape_still_loads() -> None:
    row = _row(ISSUES_TABLE.batch([OLD_ISSUE], "s"))
    assert row["status_name"] == "In Progress"
    assert row["status_color"] is None
    assert row["assignee_id"] == 5
    assert row["assignee_user_id"] is None
    # limitDate stands in for dueDate; 15:00Z is the midnight of 1 July in Tokyo
    assert row["due_date"] == dt.date(2014, 7, 1)
    assert row["category_names"] == "Dev"
    assert row["resolution_name"] is None
    assert row["attachment_count"] == 0
    assert "some_field_from_the_future" not in row


def test_issue_child_tables() -> None:
    children = {c.shape.suffix: c for c in ISSUE_CHILDREN}
    batch = children["categories"].batch([OLD_ISSUE, DOC_ISSUE], "s")
    assert batch is not None
    assert batch.to_pylist() == [
        {"issue_id": 7, "category_id": 12, "category_name": "Dev", "_space": "s"}
    ]
    miles = children["milestones"].batch([DOC_ISSUE], "s")
    assert miles is not None
    assert miles.to_pylist() == [
        {"issue_id": 1, "milestone_id": 30, "milestone_name": "wait for release", "_space": "s"}
    ]
    assert children["versions"].batch([DOC_ISSUE, OLD_ISSUE], "s") is None
    values = children["custom_fields"].batch([DOC_ISSUE], "s")
    assert values is not None
    assert values.to_pylist() == [
        {
            "issue_id": 1,
            "field_id": 1073742490,
            "field_name": "しんぐるりすと",
            "field_type_id": 5,
            "value_text": None,
            "value_number": None,
            "value_date": None,
            "item_ids": [1],
            "item_names": "たまご",
            "other_value": None,
            "_space": "s",
        }
    ]


def test_category_without_project_id_takes_the_listed_project() -> None:
    rows = [
        {"id": 12, "name": "開発", "displayOrder": 2147483646, "projectId": 5, "projectKey": "DEV"}
    ]
    assert CATEGORIES_TABLE.batch(rows, "s").to_pylist() == [
        {
            "id": 12,
            "project_id": 5,
            "project_key": "DEV",
            "name": "開発",
            "display_order": 2147483646,
            "_extra": None,
            "_space": "s",
        }
    ]


def test_teams_member_count_names_and_child_rows() -> None:
    team = {
        "id": 1,
        "name": "test",
        "members": [EGUCHI, ADMIN],
        "displayOrder": None,
        "createdUser": ADMIN,
        "created": "2013-05-30T09:11:36Z",
        "updatedUser": ADMIN,
        "updated": "2013-05-30T09:11:36Z",
    }
    row = _row(TEAMS_TABLE.batch([team], "s"))
    assert row["member_count"] == 2
    assert row["member_names"] == "eguchi, admin"
    members = TEAM_MEMBERS_TABLE.batch(team_members([team]), "s").to_pylist()
    assert [(m["team_id"], m["member_id"], m["member_user_id"]) for m in members] == [
        (1, 2, "eguchi"),
        (1, 1, "admin"),
    ]


@pytest.mark.parametrize(
    ("values", "arrow_type", "expected"),
    [
        ([1, "2", None, "x", True], INT, [1, 2, None, None, 1]),
        ([1.5, 2, "3.5", None, "n/a"], FLOAT, [1.5, 2.0, 3.5, None, None]),
        (["a", 1, None, {"k": 1}], STRING, ["a", "1", None, '{"k":1}']),
        (
            ["2014-08-11T00:00:00Z", "2024-06-24", "bad", None, 5],
            DATE,
            [dt.date(2014, 8, 11), dt.date(2024, 6, 24), None, None, None],
        ),
        (
            ["2013-08-05T06:15:06Z", "2013-08-05T15:15:06+09:00", None],
            TIMESTAMP,
            [dt.datetime(2013, 8, 5, 6, 15, 6, tzinfo=UTC)] * 2 + [None],
        ),
        ([[1, "2", "x"], None, [3]], INT_LIST, [None, None, [3]]),  # refused whole: a reject
        (
            ["2013-08-05T06:15:06Z", "garbage", 1603881873],
            TIMESTAMP,
            [
                dt.datetime(2013, 8, 5, 6, 15, 6, tzinfo=UTC),
                None,
                dt.datetime(2020, 10, 28, 10, 44, 33, tzinfo=UTC),
            ],
        ),
    ],
)
def test_values_of_the_wrong_kind_become_null(
    values: list[object], arrow_type: pa.DataType, expected: list[object]
) -> None:
    array = to_array(values, arrow_type)
    assert array.type == arrow_type
    assert array.to_pylist() == expected


def test_batches_are_bounded_and_children_follow_their_parents() -> None:
    shape = TableShape("", (field("id", INT), field("name", STRING)), key=("id",))
    pages = [
        [{"id": i, "name": f"n{i}"} for i in range(start, start + 100)]
        for start in range(0, 450, 100)
    ][:5]
    pages[-1] = pages[-1][:50]
    sizes = [b.batch.num_rows for b in batches_of(shape, pages, space="s", limit=120)]
    assert sizes == [120, 120, 120, 90]
    buffer = BatchBuffer(ISSUES_TABLE, ISSUE_CHILDREN, space="s", limit=2)
    suffixes = [b.suffix for b in buffer.add([DOC_ISSUE, OLD_ISSUE])]
    assert suffixes == ["", "categories", "milestones", "custom_fields"]
    assert list(buffer.flush()) == []


def test_shape_rejects_duplicate_columns_and_unknown_keys() -> None:
    with pytest.raises(ValueError, match="twice"):
        TableShape("", (field("id", INT), field("id", INT)), key=("id",))
    with pytest.raises(ValueError, match="not declared"):
        TableShape("", (field("id", INT),), key=("nope",))


CF_DEFINITIONS = [
    {"id": 1, "typeId": 1, "name": "Customer"},
    {"id": 2, "typeId": 2, "name": "Notes"},
    {"id": 3, "typeId": 3, "name": "Story points"},
    {"id": 4, "typeId": 4, "name": "Target date"},
    {"id": 5, "typeId": 5, "name": "Environment"},
    {"id": 6, "typeId": 6, "name": "Platforms"},
    {"id": 7, "typeId": 7, "name": "Checks"},
    {"id": 8, "typeId": 8, "name": "Severity"},
]


def _item(item_id: int, name: str) -> dict[str, object]:
    return {"id": item_id, "name": name, "displayOrder": item_id}


CF_ISSUE = {
    "id": 99,
    "customFields": [
        {"id": 1, "fieldTypeId": 1, "name": "Customer", "value": "Acme"},
        {"id": 2, "fieldTypeId": 2, "name": "Notes", "value": ""},
        {"id": 3, "fieldTypeId": 3, "name": "Story points", "value": 99.9},
        {"id": 4, "fieldTypeId": 4, "name": "Target date", "value": "2024-06-24"},
        {"id": 5, "fieldTypeId": 5, "name": "Environment", "value": _item(51, "prod")},
        {
            "id": 6,
            "fieldTypeId": 6,
            "name": "Platforms",
            "value": [_item(61, "iOS"), _item(62, "Android")],
        },
        {"id": 7, "fieldTypeId": 7, "name": "Checks", "value": [], "otherValue": "by hand"},
        {"id": 8, "fieldTypeId": 8, "name": "Severity", "value": None, "otherValue": None},
        {"id": 404, "fieldTypeId": 1, "name": "a field of another project", "value": "x"},
    ],
}


def test_custom_fields_become_typed_columns_and_a_long_table() -> None:
    shape = ISSUES_TABLE.with_columns(table_columns(plan_columns(CF_DEFINITIONS)))
    row = _row(shape.batch([CF_ISSUE, OLD_ISSUE], "s"))
    assert row["cf_customer"] == "Acme"
    assert row["cf_notes"] == ""
    assert row["cf_story_points"] == 99.9
    assert row["cf_target_date"] == dt.date(2024, 6, 24)
    assert row["cf_environment"] == "prod"
    assert row["cf_platforms"] == "iOS, Android"
    assert row["cf_checks"] == "by hand"  # only the "other" text: the column keeps it
    assert row["cf_severity"] is None
    assert "cf_a_field_of_another_project" not in row
    second = _row(shape.batch([CF_ISSUE, OLD_ISSUE], "s"), 1)
    assert all(second[f"cf_{n}"] is None for n in ("customer", "story_points", "platforms"))

    [child] = [c for c in ISSUE_CHILDREN if c.shape.suffix == "custom_fields"]
    long = child.batch([CF_ISSUE, OLD_ISSUE], "s")
    assert long is not None
    by_field = {r["field_id"]: r for r in long.to_pylist()}
    assert sorted(by_field) == [1, 3, 4, 5, 6, 7, 404]  # unset values are left out
    assert by_field[3]["value_number"] == 99.9
    assert by_field[4]["value_date"] == dt.date(2024, 6, 24)
    assert by_field[6]["item_ids"] == [61, 62]
    assert by_field[6]["item_names"] == "iOS, Android"
    assert by_field[7]["other_value"] == "by hand"
    assert by_field[7]["item_ids"] == []
    assert by_field[1]["value_text"] == "Acme"


def test_old_user_and_project_shapes_still_load() -> None:
    old_user = {"id": 9, "name": "legacy", "roleType": 2, "mailAddress": "l@example.com"}
    [user] = USERS_TABLE.batch([old_user, ADMIN], "s").to_pylist()[:1]
    assert user["id"] == 9
    assert user["user_id"] is None
    assert user["nulab_account_unique_id"] is None
    assert user["last_login_time"] is None
    assert user["role_name"] == "Normal User"
    old_project = {
        "id": 3,
        "projectKey": "OLD",
        "name": "old",
        "chartEnabled": True,
        "useGantt": True,
        "archived": False,
    }
    [project] = PROJECTS_TABLE.batch([old_project], "s").to_pylist()
    assert project["project_key"] == "OLD"
    assert project["chart_enabled"] is True
    assert project["use_wiki"] is None
    assert "use_gantt" not in project
