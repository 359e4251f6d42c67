"""``recent_updates``: the space's activity log, read by id so that runs neither skip nor
repeat an activity; the field changes of each activity go to a child table, those of pull
requests to one of their own (a pull request's status is not an issue's status), and a
pull request's comment to its own columns (it is not an issue comment)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.reports.base import OptionSpec, RunContext, TableBatch, UpdateMode
from backlog_connector.reports.batching import BatchBuffer, ChildTable
from backlog_connector.reports.columns import (
    Getter,
    Lookup,
    Row,
    Rows,
    TableShape,
    derived,
    field,
    user_fields,
)
from backlog_connector.reports.common import CatalogReport, as_rows, counted
from backlog_connector.reports.options import OptionValueError, Parser, parse_int_list
from backlog_connector.reports.values import INT, STRING, TIMESTAMP

CURSOR_VERSION = 1

#: Backlog's activity types (backlog-api.md §4.8)
ACTIVITY_TYPES = {
    1: "Issue created",
    2: "Issue updated",
    3: "Issue commented",
    4: "Issue deleted",
    5: "Wiki page created",
    6: "Wiki page updated",
    7: "Wiki page deleted",
    8: "Shared file added",
    9: "Shared file updated",
    10: "Shared file deleted",
    11: "Subversion commit",
    12: "Git push",
    13: "Git repository created",
    14: "Issues bulk-updated",
    15: "User joined project",
    16: "User left project",
    17: "Notification added to a comment",
    18: "Pull request added",
    19: "Pull request updated",
    20: "Pull request commented",
    21: "Pull request merged",
    22: "Milestone created",
    23: "Milestone updated",
    24: "Milestone deleted",
    25: "Group joined project",
    26: "Group left project",
    34: "Status deleted",
    35: "Issue dates updated",
    36: "Document created",
    37: "Document deleted",
    38: "Document title updated",
    39: "Document updated",
    40: "Document commented",
    41: "Document comment updated",
    42: "Document comment deleted",
    43: "Document comment replied",
    44: "Document reply updated",
    45: "Document reply deleted",
    46: "Document attachment added",
    47: "Issues bulk-created",
    48: "Documents bulk-created",
    49: "Mention in a document",
}
#: types whose content is the issue itself ({id, key_id, summary, ...})
ISSUE_CONTENT_TYPES = frozenset({1, 2, 3, 4, 17})
#: pull-request types, whose content names the linked issue under "issue"
PULL_REQUEST_TYPES = frozenset({18, 19, 20, 21})
#: what each activity type is about (the ``subject`` of the activity and of its changes)
SUBJECTS: dict[str, frozenset[int]] = {
    "issue": frozenset({1, 2, 3, 4, 14, 17, 35, 47}),
    "wiki": frozenset({5, 6, 7}),
    "file": frozenset({8, 9, 10}),
    "repository": frozenset({11, 12, 13}),
    "project": frozenset({15, 16, 25, 26, 34}),
    "pull_request": PULL_REQUEST_TYPES,
    "milestone": frozenset({22, 23, 24}),
    "document": frozenset(range(36, 47)) | {48, 49},
}


def parse_activity_types(text: str) -> list[int]:
    """Comma-separated activity type ids that Backlog knows."""
    ids = parse_int_list(text)
    unknown = [i for i in ids if i not in ACTIVITY_TYPES]
    if unknown:
        raise OptionValueError(
            f"unknown activity type {', '.join(map(str, unknown))}; accepted ids: "
            + ", ".join(f"{k} ({v})" for k, v in ACTIVITY_TYPES.items() if k <= 4)
            + ", ... up to 49 (see `backlog-connector reports`)"
        )
    return ids


def _issue_of(activity: Row) -> Row:
    content = activity.get("content")
    if not isinstance(content, dict):
        return {}
    if activity.get("type") in ISSUE_CONTENT_TYPES:
        return content
    linked = content.get("issue")
    if activity.get("type") in PULL_REQUEST_TYPES and isinstance(linked, dict):
        return linked
    return {}


def _issues(lookup: Lookup) -> list[Row]:
    issues: list[Row] = lookup.memo("issues", lambda rows: [_issue_of(a) for a in rows])
    return issues


def _issue_ids(lookup: Lookup) -> list[Any]:
    return [i.get("id") for i in _issues(lookup)]


def _issue_keys(lookup: Lookup) -> list[str | None]:
    keys = lookup.values(("project", "projectKey"))
    return [
        f"{k}-{i['key_id']}" if k and isinstance(i.get("key_id"), int) else None
        for k, i in zip(keys, _issues(lookup), strict=True)
    ]


def _comment_field(key: str, *, pull_request: bool) -> Getter:
    """``content.comment[key]`` of issue activities only (``pull_request=False``) or of
    pull-request activities only: a pull-request comment is not an issue comment."""

    def get(lookup: Lookup) -> list[Any]:
        comments = lookup.values(("content", "comment"))
        return [
            c.get(key)
            if isinstance(c, dict) and ((t in PULL_REQUEST_TYPES) == pull_request)
            else None
            for c, t in zip(comments, lookup.values(("type",)), strict=True)
        ]

    return get


def _pull_request_field(key: str) -> Getter:
    def get(lookup: Lookup) -> list[Any]:
        values = lookup.values(("content", key))
        return [
            v if t in PULL_REQUEST_TYPES else None
            for v, t in zip(values, lookup.values(("type",)), strict=True)
        ]

    return get


def subject_of(type_id: Any) -> str | None:
    """What an activity type is about: issue, pull_request, wiki, file, ... (None: unknown)."""
    return next((name for name, types in SUBJECTS.items() if type_id in types), None)


def _type_names(lookup: Lookup) -> list[str | None]:
    return [ACTIVITY_TYPES.get(t) if isinstance(t, int) else None for t in lookup.values(("type",))]


ACTIVITIES_TABLE = TableShape(
    "",
    (
        field("id", INT),
        field("type", INT, name="type_id"),
        derived("type_name", STRING, _type_names),
        derived(
            "subject", STRING, lambda lookup: [subject_of(t) for t in lookup.values(("type",))]
        ),
        field("project.id", INT),
        field("project.projectKey", STRING),
        field("project.name", STRING),
        derived("issue_id", INT, _issue_ids),
        derived("issue_key", STRING, _issue_keys),
        derived(
            "issue_summary", STRING, lambda lookup: [i.get("summary") for i in _issues(lookup)]
        ),
        derived("comment_id", INT, _comment_field("id", pull_request=False)),
        derived("comment_content", STRING, _comment_field("content", pull_request=False)),
        derived("pull_request_id", INT, _pull_request_field("id")),
        derived("pull_request_number", INT, _pull_request_field("number")),
        derived("pull_request_comment_id", INT, _comment_field("id", pull_request=True)),
        derived(
            "pull_request_comment_content", STRING, _comment_field("content", pull_request=True)
        ),
        field("content.repository.id", INT, name="repository_id"),
        field("content.repository.name", STRING, name="repository_name"),
        *user_fields("createdUser"),
        field("created", TIMESTAMP),
        field("content", STRING, name="content_json"),
    ),
    extra=True,
    known=frozenset({"notifications"}),
    key=("id",),
    description="one row per activity: type, project, the issue and comment it concerns",
)

CHANGES_TABLE = TableShape(
    "changes",
    (
        field("activityId", INT),
        field("position", INT),
        field("field", STRING),
        field("new_value", STRING),
        field("old_value", STRING),
        field("type", STRING, name="change_type"),
        field("subject", STRING),
    ),
    key=("activity_id", "position"),
    description="one row per field change of an activity",
    parent_key=("activity_id",),
)


PULL_REQUEST_CHANGES_TABLE = TableShape(
    "pull_request_changes",
    (
        field("activityId", INT),
        field("position", INT),
        field("pullRequestId", INT),
        field("field", STRING),
        field("new_value", STRING),
        field("old_value", STRING),
    ),
    key=("activity_id", "position"),
    description="one row per field change of a pull request (its status ids are pull-request "
    "statuses: 1 Open, 2 Closed, 3 Merged), never mixed with issue changes",
    parent_key=("activity_id",),
)


def activity_changes(activities: Rows) -> list[Row]:
    """The ``content.changes`` of each activity but pull-request ones, numbered from 0."""
    return _changes(a for a in activities if a.get("type") not in PULL_REQUEST_TYPES)


def pull_request_changes(activities: Rows) -> list[Row]:
    """The ``content.changes`` of each pull-request activity, numbered from 0."""
    return [
        {**row, "pullRequestId": row["_pull_request_id"]}
        for row in _changes(a for a in activities if a.get("type") in PULL_REQUEST_TYPES)
    ]


def _changes(activities: Iterable[Row]) -> list[Row]:
    rows: list[Row] = []
    for activity in activities:
        content = activity.get("content")
        changes = content.get("changes") if isinstance(content, dict) else None
        for position, change in enumerate(as_rows(changes)):
            rows.append(
                {
                    **change,
                    "activityId": activity.get("id"),
                    "position": position,
                    "subject": subject_of(activity.get("type")),
                    "_pull_request_id": content.get("id") if isinstance(content, dict) else None,
                }
            )
    return rows


class RecentUpdatesReport(CatalogReport):
    name = "recent_updates"
    title = "Recent updates"
    description = (
        "The space's activity log (issues, wikis, files, git, ...), read by id: "
        "each activity exactly once, with its field changes (pull-request changes apart)."
    )
    options = (
        OptionSpec(
            "activity_types",
            "only these activity type ids, comma-separated "
            "(1 created, 2 updated, 3 commented, 4 deleted, ...)",
            kind="list",
        ),
    )
    parsers: ClassVar[Mapping[str, Parser]] = {"activity_types": parse_activity_types}
    tables = (ACTIVITIES_TABLE.spec(), CHANGES_TABLE.spec(), PULL_REQUEST_CHANGES_TABLE.spec())
    update_modes = (UpdateMode.APPEND, UpdateMode.MERGE)
    default_update_mode = UpdateMode.APPEND
    incremental = True

    def validate_options(self, raw: Any) -> dict[str, Any]:
        options = super().validate_options(raw)
        if options.get("activity_types") == []:
            raise InvalidOptionError("Option 'activity_types' is empty; give type ids or drop it.")
        return options

    def read(self, ctx: RunContext) -> Iterator[TableBatch]:
        cursor = ctx.cursor if ctx.cursor and ctx.cursor.get("version") == CURSOR_VERSION else None
        last = cursor.get("max_id") if cursor else None
        params = [("activityTypeId[]", t) for t in ctx.options.get("activity_types") or ()]
        buffer = BatchBuffer(
            ACTIVITIES_TABLE,
            (
                ChildTable(CHANGES_TABLE, activity_changes),
                ChildTable(PULL_REQUEST_CHANGES_TABLE, pull_request_changes),
            ),
            space=ctx.space,
            limit=self.batch_rows,
        )
        greatest = last if isinstance(last, int) else None
        pages = ctx.client.iter_ids("/space/activities", params, order="asc", min_id=greatest)
        for page in counted(ctx, pages):
            fresh: list[Row] = []
            for activity in as_rows(page):
                activity_id = activity.get("id")
                if not isinstance(activity_id, int):
                    continue
                if greatest is not None and activity_id <= greatest:
                    continue  # the page boundary may repeat the last id
                greatest = activity_id
                fresh.append(activity)
            yield from buffer.add(fresh)
        yield from buffer.flush()
        ctx.new_cursor = {"version": CURSOR_VERSION, "max_id": greatest}
