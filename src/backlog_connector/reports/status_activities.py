"""``issue_status_history`` kept fresh from the space activities instead of issue comments.

After a first run through the comments, the status changes since then are read from
``/space/activities`` (types 2, 3 and 14; 100 per request, exact by ``minId``): an incremental
run costs about ceil(new activities / 100) requests plus one status list per project. A bulk
update (type 14), or a change whose activity lacks its comment id, has its issue's comments
read again, as the full run does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from backlog_connector.reports.base import RunContext
from backlog_connector.reports.columns import Row
from backlog_connector.reports.common import as_rows
from backlog_connector.reports.sync import PAGE_SIZE
from backlog_connector.reports.timeline import ProjectStatuses

#: issue updated, issue commented, issue deleted, issues bulk-updated
STATUS_ACTIVITY_TYPES = (2, 3, 4, 14)
_DELETED, _BULK = 4, 14


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


class StatusActivities:
    """The status-change rows (``status_history.STATUS_HISTORY_TABLE`` shape) of activities
    after ``after``."""

    def __init__(self, ctx: RunContext, after: int, project_ids: set[int] | None) -> None:
        self.ctx = ctx
        self.after = after
        self.project_ids = project_ids
        self.statuses = ProjectStatuses(ctx)
        #: issues whose comments must be read again (their activity did not say enough)
        self.reread: set[int] = set()
        #: issues deleted since ``after`` (their rows leave the table)
        self.deleted: set[int] = set()
        self._written: dict[int, list[int]] = {}

    def rows(self) -> Iterator[list[Row]]:
        """Rows page by page; afterwards ``reread`` names the issues to read in full."""
        params = [("activityTypeId[]", t) for t in STATUS_ACTIVITY_TYPES]
        pages = self.ctx.client.iter_ids(
            "/space/activities", params, order="asc", min_id=self.after
        )
        for page in pages:
            rows: list[Row] = []
            for activity in as_rows(page):
                activity_id = _int(activity.get("id"))
                if activity_id is None or activity_id <= self.after:
                    continue
                rows.extend(self._rows_of(activity))
            self.ctx.rows_read += len(rows)
            yield rows

    def _rows_of(self, activity: Row) -> list[Row]:
        project = activity.get("project")
        project = project if isinstance(project, dict) else {}
        project_id = _int(project.get("id"))
        content = activity.get("content")
        if not isinstance(content, dict) or (
            self.project_ids is not None and project_id not in self.project_ids
        ):
            return []
        changes = [c for c in as_rows(content.get("changes")) if c.get("field") == "status"]
        if activity.get("type") == _BULK:
            if changes:
                self.reread.update(
                    i for link in as_rows(content.get("link")) if (i := _int(link.get("id")))
                )
            return []
        issue_id, key_id = _int(content.get("id")), _int(content.get("key_id"))
        if activity.get("type") == _DELETED:
            if issue_id is not None:
                self.deleted.add(issue_id)
                self.reread.discard(issue_id)
            return []
        comment = content.get("comment")
        comment_id = _int(comment.get("id")) if isinstance(comment, dict) else None
        rows: list[Row] = []
        for change in changes:
            to_id, from_id = _int(change.get("new_value")), _int(change.get("old_value"))
            if comment_id is None or to_id is None:
                if issue_id is not None:
                    self.reread.add(issue_id)
                continue
            key = project.get("projectKey")
            if issue_id is not None:
                self._written.setdefault(issue_id, []).append(comment_id)
            rows.append(
                {
                    "commentId": comment_id,
                    "issueId": issue_id,
                    "issueKey": f"{key}-{key_id}" if key and key_id is not None else None,
                    "projectId": project_id,
                    "fromStatus": self.statuses.name_of(project_id, from_id),
                    "toStatus": self.statuses.name_of(project_id, to_id),
                    "fromStatusId": from_id,
                    "toStatusId": to_id,
                    "changedAt": activity.get("created"),
                    "changedBy": activity.get("createdUser"),
                }
            )
        return rows

    def deleted_keys(self) -> list[tuple[Any, ...]]:
        """The keys (comment ids) of the rows of deleted issues: stored ones, and any this run
        wrote before it met the deletion."""
        keys = {c for i in self.deleted for c in self._written.get(i, [])}
        table = self.ctx.previous("") if self.deleted and self.ctx.previous else None
        if table is not None:
            issues = table.column("issue_id").to_pylist()
            comments = table.column("comment_id").to_pylist()
            keys.update(c for i, c in zip(issues, comments, strict=True) if i in self.deleted)
        return [(c,) for c in sorted(keys)]

    def reread_issues(self) -> Iterator[Row]:
        """The issues (objects, by ``id[]``, 100 per search) whose comments must be read."""
        ids = sorted(self.reread)
        for start in range(0, len(ids), PAGE_SIZE):
            params: list[tuple[str, Any]] = [("id[]", i) for i in ids[start : start + PAGE_SIZE]]
            params.append(("count", PAGE_SIZE))
            yield from as_rows(self.ctx.client.get("/issues", params))
