"""``issue_status_history``: the status changes recorded in the comments' change logs (the
basis of cycle-time charts).

The first run walks the comments as ``comments`` does (:class:`.comments.CommentWalk`). Once
its cursor holds an activity id, it reads only the space activities since then
(:mod:`.status_activities`): about ceil(new activities / 100) requests a run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from backlog_connector.backlog.shapes import get_list
from backlog_connector.reports.base import RunContext, TableBatch, UpdateMode
from backlog_connector.reports.batching import BatchBuffer
from backlog_connector.reports.columns import Row, Rows, TableShape, field, user_fields
from backlog_connector.reports.comments import CURSOR_VERSION, CommentWalk, read_issue_comments
from backlog_connector.reports.common import (
    PROJECTS_OPTION,
    PROJECTS_PARSER,
    CatalogReport,
    as_rows,
    resolve_projects,
)
from backlog_connector.reports.read_ahead import read_ahead
from backlog_connector.reports.status_activities import StatusActivities
from backlog_connector.reports.sync import fingerprint, newest_activity
from backlog_connector.reports.values import INT, STRING, TIMESTAMP

STATUS_HISTORY_TABLE = TableShape(
    "",
    (
        field("commentId", INT),
        field("issueId", INT),
        field("issueKey", STRING),
        field("projectId", INT),
        field("fromStatus", STRING),
        field("toStatus", STRING),
        field("fromStatusId", INT),
        field("toStatusId", INT),
        field("changedAt", TIMESTAMP),
        *user_fields("changedBy"),
    ),
    key=("comment_id",),
    description="one row per status change: issue, from, to, when, by whom",
)


class StatusNames:
    """Status name -> id per project, fetched once per project when first needed."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self._by_project: dict[Any, dict[str, int]] = {}

    def id_of(self, project_id: Any, name: Any) -> int | None:
        if project_id is None or not isinstance(name, str):
            return None
        names = self._by_project.get(project_id)
        if names is None:
            statuses = get_list(self.ctx.client, f"/projects/{project_id}/statuses")
            names = {str(s.get("name")): s["id"] for s in statuses if isinstance(s.get("id"), int)}
            self._by_project[project_id] = names
        return names.get(name)


def status_changes(comments: Rows, statuses: StatusNames) -> list[Row]:
    """One row per ``status`` entry in the change logs of ``comments``."""
    rows: list[Row] = []
    for comment in comments:
        for change in as_rows(comment.get("changeLog")):
            if change.get("field") != "status":
                continue
            project_id = comment.get("projectId")
            rows.append(
                {
                    "commentId": comment.get("id"),
                    "issueId": comment.get("issueId"),
                    "issueKey": comment.get("issueKey"),
                    "projectId": project_id,
                    "fromStatus": change.get("originalValue"),
                    "toStatus": change.get("newValue"),
                    "fromStatusId": statuses.id_of(project_id, change.get("originalValue")),
                    "toStatusId": statuses.id_of(project_id, change.get("newValue")),
                    "changedAt": comment.get("created"),
                    "changedBy": comment.get("createdUser"),
                }
            )
    return rows


class IssueStatusHistoryReport(CatalogReport):
    name = "issue_status_history"
    title = "Issue status history"
    description = (
        "Every status change of the chosen projects' issues, from the comments' "
        "change logs: issue, from status, to status, when, by whom."
    )
    options = (PROJECTS_OPTION,)
    parsers = PROJECTS_PARSER
    tables = (STATUS_HISTORY_TABLE.spec(),)
    update_modes = (UpdateMode.MERGE, UpdateMode.REPLACE)
    default_update_mode = UpdateMode.MERGE
    incremental = True

    def read(self, ctx: RunContext) -> Iterator[TableBatch]:
        buffer = BatchBuffer(STATUS_HISTORY_TABLE, space=ctx.space, limit=self.batch_rows)
        statuses = StatusNames(ctx)
        after = _activity_cursor(ctx)
        if after is None:
            walk = CommentWalk(ctx)
            for comments in walk.comments():
                yield from buffer.add(status_changes(comments, statuses))
                if walk.due():
                    yield from buffer.flush()
                    walk.checkpoint()
            yield from buffer.flush()
            walk.finish()
            return
        # after a first run: the status changes since then, from the space activities
        selector = ctx.options.get("projects")
        projects = resolve_projects(ctx, selector)
        project_ids = None if selector is None else {p["id"] for p in projects}
        started = newest_activity(ctx).id
        changes = StatusActivities(ctx, after, project_ids)
        for rows in changes.rows():
            yield from buffer.add(rows)
        reread = read_ahead(lambda i: read_issue_comments(ctx, i), changes.reread_issues())
        for _issue, comments in reread:
            ctx.rows_read += len(comments)
            yield from buffer.add(status_changes(comments, statuses))
        yield from buffer.flush()
        ctx.deleted_keys = changes.deleted_keys()
        assert ctx.cursor is not None
        ctx.new_cursor = {**ctx.cursor, "activity_id": started if started is not None else after}


def _activity_cursor(ctx: RunContext) -> int | None:
    """The activity id of the previous run's cursor when this run may read from activities."""
    cursor = ctx.cursor
    if (
        ctx.mode is UpdateMode.REPLACE
        or cursor is None
        or cursor.get("version") != CURSOR_VERSION
        or cursor.get("options") != fingerprint(ctx.options)
    ):
        return None
    after = cursor.get("activity_id")
    return after if isinstance(after, int) else None
