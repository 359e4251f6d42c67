"""The columns of the ``issues`` table and its child tables (categories, versions,
milestones, custom-field values)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from backlog_connector.reports.batching import ChildTable, Explode, ExplodeColumns
from backlog_connector.reports.columns import (
    Lookup,
    Row,
    Rows,
    TableShape,
    count_of,
    derived,
    field,
    names_of,
    user_fields,
)
from backlog_connector.reports.common import as_rows
from backlog_connector.reports.custom_fields import VALUES_TABLE, value_columns
from backlog_connector.reports.list_items import link_columns
from backlog_connector.reports.values import DATE, FLOAT, INT, STRING, TIMESTAMP

ISSUES_TABLE = TableShape(
    "",
    (
        field("id", INT),
        field("projectId", INT),
        field("issueKey", STRING),
        field("keyId", INT),
        field("issueType.id", INT),
        field("issueType.name", STRING),
        field("issueType.color", STRING),
        field("summary", STRING),
        field("description", STRING),
        field("resolution.id", INT),
        field("resolution.name", STRING),
        field("priority.id", INT),
        field("priority.name", STRING),
        field("status.id", INT),
        field("status.name", STRING),
        field("status.color", STRING),
        field("status.displayOrder", INT),
        *user_fields("assignee"),
        derived("category_names", STRING, names_of("category")),
        derived("version_names", STRING, names_of("versions")),
        derived("milestone_names", STRING, names_of("milestone")),
        field("startDate", DATE),
        field("dueDate", DATE, fallback="limitDate"),
        field("estimatedHours", FLOAT),
        field("actualHours", FLOAT),
        field("parentIssueId", INT),
        *user_fields("createdUser"),
        field("created", TIMESTAMP),
        *user_fields("updatedUser"),
        field("updated", TIMESTAMP),
        derived("attachment_count", INT, count_of("attachments")),
        derived("shared_file_count", INT, count_of("sharedFiles")),
        derived("star_count", INT, count_of("stars")),
    ),
    extra=True,
    known=frozenset(
        {"category", "versions", "milestone", "attachments", "sharedFiles", "stars", "customFields"}
    ),
    key=("id",),
    description="one row per issue; each custom field is a cf_* column",
)


def _links(suffix: str, what: str) -> TableShape:
    return TableShape(
        suffix,
        (
            field("issueId", INT),
            field("id", INT, name=f"{what}_id"),
            field("name", STRING, name=f"{what}_name"),
        ),
        key=("issue_id", f"{what}_id"),
        description=f"one row per (issue, {what})",
        parent_key=("issue_id",),
    )


def _linked(path: str) -> Explode:
    def explode(issues: Rows) -> list[Row]:
        return [
            {**item, "issueId": issue.get("id")}
            for issue in issues
            for item in as_rows(issue.get(path))
        ]

    return explode


def _linked_columns(path: str, what: str) -> ExplodeColumns:
    """The link table's columns straight from the issues (what ``_linked`` rows give, without
    a copy of each item)."""

    def columns(lookup: Lookup) -> Mapping[str, Sequence[Any] | pa.Array]:
        lists = lookup.items((path,))
        if lists is not None:
            native = link_columns(lookup.values(("id",)), lists, "issue_id", what)
            if native is not None:
                return native
        pairs = [
            (issue.get("id"), item) for issue in lookup.rows for item in as_rows(issue.get(path))
        ]
        return {
            "issue_id": [issue_id for issue_id, _item in pairs],
            f"{what}_id": [item.get("id") for _issue_id, item in pairs],
            f"{what}_name": [item.get("name") for _issue_id, item in pairs],
        }

    return columns


CATEGORIES_TABLE = _links("categories", "category")
VERSIONS_TABLE = _links("versions", "version")
MILESTONES_TABLE = _links("milestones", "milestone")

ISSUE_CHILDREN = (
    ChildTable(CATEGORIES_TABLE, _linked("category"), _linked_columns("category", "category")),
    ChildTable(VERSIONS_TABLE, _linked("versions"), _linked_columns("versions", "version")),
    ChildTable(MILESTONES_TABLE, _linked("milestone"), _linked_columns("milestone", "milestone")),
    ChildTable(VALUES_TABLE, columns=value_columns),
)
