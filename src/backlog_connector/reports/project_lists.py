"""Per-project lists: ``issue_types``, ``categories``, ``statuses``, ``versions`` and
``custom_fields`` (definitions). Each row carries its project's id and key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from backlog_connector.backlog.shapes import get_list
from backlog_connector.reports.base import RunContext, TableBatch
from backlog_connector.reports.batching import ChildTable, batches_of
from backlog_connector.reports.columns import (
    Lookup,
    Row,
    Rows,
    TableShape,
    derived,
    field,
    names_of,
)
from backlog_connector.reports.common import (
    PROJECTS_OPTION,
    PROJECTS_PARSER,
    CatalogReport,
    as_rows,
    counted,
    resolve_projects,
)
from backlog_connector.reports.custom_fields import TYPE_NAMES, column_names
from backlog_connector.reports.values import BOOL, DATE, FLOAT, INT, STRING

PROJECT_COLUMNS = (field("projectId", INT), field("projectKey", STRING))
PROJECT_KEY = ("project_id", "id")


def project_rows(ctx: RunContext, path: str) -> Iterator[list[Row]]:
    """For each chosen project, the list at ``/projects/{id}{path}``, each row tagged with the
    project's id (when the row lacks it, as older categories do) and key."""
    for project in resolve_projects(ctx, ctx.options.get("projects")):
        rows = get_list(ctx.client, f"/projects/{project['id']}{path}")
        yield [
            {
                **row,
                "projectId": row.get("projectId") or project.get("id"),
                "projectKey": project.get("projectKey"),
            }
            for row in rows
        ]


class ProjectListReport(CatalogReport):
    """A list read from ``/projects/:id{path}`` for each chosen project."""

    path: str
    shape: TableShape
    options = (PROJECTS_OPTION,)
    parsers = PROJECTS_PARSER

    def read(self, ctx: RunContext) -> Iterator[TableBatch]:
        pages = counted(ctx, project_rows(ctx, self.path))
        yield from batches_of(self.shape, pages, space=ctx.space, limit=self.batch_rows)


ISSUE_TYPES_TABLE = TableShape(
    "",
    (
        field("id", INT),
        *PROJECT_COLUMNS,
        field("name", STRING),
        field("color", STRING),
        field("displayOrder", INT),
        field("templateSummary", STRING),
        field("templateDescription", STRING),
    ),
    extra=True,
    key=PROJECT_KEY,
    description="one row per (project, issue type)",
)

CATEGORIES_TABLE = TableShape(
    "",
    (field("id", INT), *PROJECT_COLUMNS, field("name", STRING), field("displayOrder", INT)),
    extra=True,
    key=PROJECT_KEY,
    description="one row per (project, category)",
)

STATUSES_TABLE = TableShape(
    "",
    (
        field("id", INT),
        *PROJECT_COLUMNS,
        field("name", STRING),
        field("color", STRING),
        field("displayOrder", INT),
    ),
    extra=True,
    key=PROJECT_KEY,
    description="one row per (project, status); ids 1-4 are Backlog's built-in statuses",
)

VERSIONS_TABLE = TableShape(
    "",
    (
        field("id", INT),
        *PROJECT_COLUMNS,
        field("name", STRING),
        field("description", STRING),
        field("startDate", DATE),
        field("releaseDueDate", DATE),
        field("archived", BOOL),
        field("displayOrder", INT),
    ),
    extra=True,
    key=PROJECT_KEY,
    description="one row per (project, version / milestone)",
)


class IssueTypesReport(ProjectListReport):
    name = "issue_types"
    title = "Issue types"
    description = "The issue types of the chosen projects."
    path = "/issueTypes"
    shape = ISSUE_TYPES_TABLE
    tables = (ISSUE_TYPES_TABLE.spec(),)


class CategoriesReport(ProjectListReport):
    name = "categories"
    title = "Categories"
    description = "The categories of the chosen projects."
    path = "/categories"
    shape = CATEGORIES_TABLE
    tables = (CATEGORIES_TABLE.spec(),)


class StatusesReport(ProjectListReport):
    name = "statuses"
    title = "Statuses"
    description = "The statuses of the chosen projects, built-in and custom."
    path = "/statuses"
    shape = STATUSES_TABLE
    tables = (STATUSES_TABLE.spec(),)


class VersionsReport(ProjectListReport):
    name = "versions"
    title = "Versions and milestones"
    description = "The versions (milestones) of the chosen projects with their dates."
    path = "/versions"
    shape = VERSIONS_TABLE
    tables = (VERSIONS_TABLE.spec(),)


def _when_type(type_id: int, path: str) -> Any:
    keys = tuple(path.split("."))

    def get(lookup: Lookup) -> list[Any]:
        return [
            v if t == type_id else None
            for v, t in zip(lookup.values(keys), lookup.values(("typeId",)), strict=True)
        ]

    return get


def _joined_ids(lookup: Lookup) -> list[str | None]:
    return [
        ", ".join(str(i) for i in v) if isinstance(v, list) and v else None
        for v in lookup.values(("applicableIssueTypes",))
    ]


def _column_names(lookup: Lookup) -> list[str | None]:
    names = lookup.memo("column_names", column_names)
    return [names.get(i) for i in lookup.values(("id",))]


CUSTOM_FIELDS_TABLE = TableShape(
    "",
    (
        field("id", INT),
        *PROJECT_COLUMNS,
        field("typeId", INT),
        derived(
            "type_name",
            STRING,
            lambda lookup: [
                TYPE_NAMES.get(t) if isinstance(t, int) else None
                for t in lookup.values(("typeId",))
            ],
        ),
        field("name", STRING),
        derived("column_name", STRING, _column_names),
        field("description", STRING),
        field("required", BOOL),
        derived("applicable_issue_types", STRING, _joined_ids),
        field("displayOrder", INT),
        derived("min", FLOAT, _when_type(3, "min")),
        derived("max", FLOAT, _when_type(3, "max")),
        derived("initial_value", FLOAT, _when_type(3, "initialValue")),
        field("unit", STRING),
        derived("min_date", DATE, _when_type(4, "min")),
        derived("max_date", DATE, _when_type(4, "max")),
        field("initialDate.id", INT),
        field("initialDate.shift", INT),
        field("initialDate.date", DATE),
        derived("item_names", STRING, names_of("items")),
        field("allowAddItem", BOOL),
        field("allowInput", BOOL),
    ),
    extra=True,
    known=frozenset({"applicableIssueTypes", "min", "max", "initialValue", "items"}),
    key=PROJECT_KEY,
    description="one row per custom-field definition; column_name is its column in issues",
)

CUSTOM_FIELD_ITEMS_TABLE = TableShape(
    "items",
    (
        field("fieldId", INT),
        field("projectId", INT),
        field("item.id", INT, name="item_id"),
        field("item.name", STRING),
        field("item.displayOrder", INT),
    ),
    key=("project_id", "field_id", "item_id"),
    description="one row per list item of a list-type custom field",
    parent_key=("project_id", "field_id"),
)


def field_items(definitions: Rows) -> list[Row]:
    """The list items of ``definitions``, one row each."""
    return [
        {"fieldId": d.get("id"), "projectId": d.get("projectId"), "item": item}
        for d in definitions
        for item in as_rows(d.get("items"))
    ]


class CustomFieldsReport(ProjectListReport):
    name = "custom_fields"
    title = "Custom fields"
    description = (
        "The custom-field definitions of the chosen projects, with the issues "
        "column each one fills, and their list items."
    )
    path = "/customFields"
    shape = CUSTOM_FIELDS_TABLE
    tables = (CUSTOM_FIELDS_TABLE.spec(), CUSTOM_FIELD_ITEMS_TABLE.spec())

    def read(self, ctx: RunContext) -> Iterator[TableBatch]:
        # All definitions in one batch: column names depend on every field of the run.
        definitions = [row for page in project_rows(ctx, self.path) for row in page]
        yield from batches_of(
            CUSTOM_FIELDS_TABLE,
            counted(ctx, [definitions]),
            space=ctx.space,
            children=(ChildTable(CUSTOM_FIELD_ITEMS_TABLE, field_items),),
            limit=max(len(definitions), 1),
        )
