"""The status timeline of issues: when each issue was created and every status change since.

Two ways to read it, both exact to the second:

- in full: search the chosen projects' issues, then read every comment of each (the comments'
  ``changeLog`` entries for ``status`` are the changes): one comment read per issue;
- incrementally, after a full read: the space's activities after the last id seen (types 1-4
  and 14; 100 per request, exact by ``minId``), whose ``content.changes`` carry the status ids,
  then the touched issues by ``id[]`` (100 per search request). An issue whose change the
  activity does not fully describe (a bulk update, a missing comment id, an issue never seen
  before) has its comments read again.

The timeline of each issue is stored by the derived reports in a ``status_changes`` child table
(one row per change plus one creation row with ``comment_id`` 0), read back through
``RunContext.previous`` by the next incremental run (:mod:`.stored_timelines`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from backlog_connector.reports.base import RunContext
from backlog_connector.reports.columns import Row, TableShape
from backlog_connector.reports.columns import field as column
from backlog_connector.reports.common import as_rows, resolve_projects
from backlog_connector.reports.progress_totals import walk_total
from backlog_connector.reports.read_ahead import read_ahead
from backlog_connector.reports.sync import PAGE_SIZE, fingerprint, newest_activity
from backlog_connector.reports.values import INT, TIMESTAMP, parse_timestamp

CURSOR_VERSION = 1
#: activities that create, change, comment on or delete issues (14: bulk update)
ISSUE_ACTIVITY_TYPES = (1, 2, 3, 4, 14)
_CREATED, _DELETED, _BULK = 1, 4, 14

STATUS_CHANGES_TABLE = TableShape(
    "status_changes",
    (
        column("issueId", INT),
        column("projectId", INT),
        column("commentId", INT),
        column("changedAt", TIMESTAMP),
        column("fromStatusId", INT),
        column("toStatusId", INT),
    ),
    key=("issue_id", "comment_id"),
    description=(
        "the status history the derived values come from: one row per status change, "
        "plus one row per issue (comment_id 0) for its creation in its first status"
    ),
    parent_key=("issue_id",),
)


@dataclass(frozen=True, slots=True)
class Change:
    """One status change: the comment that made it, when (epoch seconds), from, to."""

    comment_id: int
    at: int
    from_id: int | None
    to_id: int


@dataclass(slots=True)
class Timeline:
    """One issue: its creation, its first status, its changes (oldest first), and the issue
    object as last read from Backlog (None when this run did not read it)."""

    issue_id: int
    project_id: int
    created: int
    first_status: int
    changes: list[Change] = field(default_factory=list)
    issue: Row | None = None

    @property
    def status(self) -> int:
        """The status the issue is in now."""
        return self.changes[-1].to_id if self.changes else self.first_status

    def add(self, change: Change) -> bool:
        """Add ``change`` unless its comment is already there; keep the order. True if new."""
        if any(c.comment_id == change.comment_id for c in self.changes):
            return False
        self.changes.append(change)
        self.changes.sort(key=lambda c: (c.at, c.comment_id))
        return True

    def rows(self) -> list[Row]:
        """This timeline as rows of ``STATUS_CHANGES_TABLE``."""
        first = {
            "issueId": self.issue_id,
            "projectId": self.project_id,
            "commentId": 0,
            "changedAt": self.created,
            "fromStatusId": None,
            "toStatusId": self.first_status,
        }
        return [first] + [
            {
                "issueId": self.issue_id,
                "projectId": self.project_id,
                "commentId": c.comment_id,
                "changedAt": c.at,
                "fromStatusId": c.from_id,
                "toStatusId": c.to_id,
            }
            for c in self.changes
        ]


class ProjectStatuses:
    """Status ids and names per project, one ``/projects/:id/statuses`` read per project."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self._by_project: dict[int, list[Row]] = {}

    def of(self, project_id: int) -> list[Row]:
        """The project's statuses in display order (``id``, ``name``, ...)."""
        found = self._by_project.get(project_id)
        if found is None:
            found = as_rows(self.ctx.client.get(f"/projects/{project_id}/statuses"))
            self._by_project[project_id] = found
        return found

    def id_of(self, project_id: Any, name: Any) -> int | None:
        """The id of the status called ``name`` in the project (None if none is)."""
        if not isinstance(project_id, int) or not isinstance(name, str):
            return None
        return next((s["id"] for s in self.of(project_id) if s.get("name") == name), None)

    def name_of(self, project_id: Any, status_id: Any) -> str | None:
        """The name of status ``status_id`` in the project (None if unknown)."""
        if not isinstance(project_id, int) or not isinstance(status_id, int):
            return None
        return next((s.get("name") for s in self.of(project_id) if s.get("id") == status_id), None)


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _epoch(value: Any) -> int | None:
    return parse_timestamp(value) if isinstance(value, str) else None


def comment_changes(
    comments: Iterable[Row], project_id: int, statuses: ProjectStatuses
) -> list[Change]:
    """The status changes recorded in the ``changeLog`` of ``comments`` (names -> ids)."""
    changes: list[Change] = []
    for comment in comments:
        comment_id, at = _int(comment.get("id")), _epoch(comment.get("created"))
        for entry in as_rows(comment.get("changeLog")):
            if entry.get("field") != "status" or comment_id is None or at is None:
                continue
            to_id = statuses.id_of(project_id, entry.get("newValue"))
            if to_id is not None:
                from_id = statuses.id_of(project_id, entry.get("originalValue"))
                changes.append(Change(comment_id, at, from_id, to_id))
    changes.sort(key=lambda c: (c.at, c.comment_id))
    return changes


def timeline_of(issue: Row, changes: list[Change]) -> Timeline | None:
    """The timeline of ``issue`` (an issue object) given its changes; None for a malformed one."""
    issue_id, project_id = _int(issue.get("id")), _int(issue.get("projectId"))
    created = _epoch(issue.get("created"))
    status = issue.get("status")
    current = _int(status.get("id")) if isinstance(status, dict) else None
    if issue_id is None or project_id is None or created is None or current is None:
        return None
    first = changes[0].from_id if changes and changes[0].from_id is not None else current
    return Timeline(issue_id, project_id, created, first, list(changes), issue)


class TimelineReader:
    """Reads the timelines of one run: in full, or as the changes since the cursor."""

    def __init__(self, ctx: RunContext, *, incremental_allowed: bool = True) -> None:
        self.ctx = ctx
        selector = ctx.options.get("projects")
        self.projects = resolve_projects(ctx, selector)
        self.project_ids: set[int] | None = (
            None if selector is None else {p["id"] for p in self.projects}
        )
        self.statuses = ProjectStatuses(ctx)
        self.digest = fingerprint(ctx.options)
        cursor = ctx.cursor
        start = newest_activity(ctx)
        self.started_id = start.id
        self.after: int | None = None
        if (
            incremental_allowed
            and ctx.previous is not None
            and cursor is not None
            and cursor.get("version") == CURSOR_VERSION
            and cursor.get("options") == self.digest
            and isinstance(cursor.get("activity_id"), int)
        ):
            self.after = cursor["activity_id"]
        self.deleted: set[int] = set()

    @property
    def incremental(self) -> bool:
        """Whether this run reads only what changed since the cursor."""
        return self.after is not None

    def cursor(self) -> dict[str, Any]:
        """The cursor to commit: the newest activity id seen when this run started."""
        greatest = self.started_id if self.started_id is not None else self.after
        return {"version": CURSOR_VERSION, "options": self.digest, "activity_id": greatest}

    # ---- full ------------------------------------------------------------------------------

    def full(self) -> Iterator[Timeline]:
        """Every issue of the chosen projects with its changes read from its comments."""
        params: list[tuple[str, Any]] = [("projectId[]", p["id"]) for p in self.projects]
        params += [("sort", "created"), ("order", "asc")]
        seen: set[int] = set()
        walk_total(self.ctx, params)

        def issues() -> Iterator[Row]:
            for page in self.ctx.client.iter_offset("/issues", params, page_size=PAGE_SIZE):
                for issue in as_rows(page):
                    issue_id = _int(issue.get("id"))
                    if issue_id is not None and issue_id not in seen:
                        seen.add(issue_id)
                        if _int(issue.get("projectId")) is not None:
                            yield issue

        for issue, comments in read_ahead(self._comments_of, issues()):
            self.ctx.progress_advance()
            timeline = self._timeline(issue, comments)
            if timeline is not None:
                yield timeline

    def _comments_of(self, issue: Row) -> list[Row]:
        """The comments of ``issue`` (thread-safe: counts nothing)."""
        pages = self.ctx.client.iter_ids(f"/issues/{issue['id']}/comments", [], order="asc")
        return [c for p in pages for c in as_rows(p)]

    def _timeline(self, issue: Row, comments: list[Row]) -> Timeline | None:
        project_id = _int(issue.get("projectId"))
        if project_id is None:
            return None
        self.ctx.rows_read += len(comments)
        return timeline_of(issue, comment_changes(comments, project_id, self.statuses))

    # ---- incremental -----------------------------------------------------------------------

    def changed(self, previous: dict[int, Timeline]) -> list[Timeline]:
        """The timelines of the issues touched since the cursor, merged into ``previous``
        (updated in place); the deleted ones are removed from it and listed in ``deleted``."""
        touched: dict[int, list[Change]] = {}
        created_here: set[int] = set()
        reread: set[int] = set()
        params = [("activityTypeId[]", t) for t in ISSUE_ACTIVITY_TYPES]
        after = self.after
        for page in self.ctx.client.iter_ids(
            "/space/activities", params, order="asc", min_id=after
        ):
            for activity in as_rows(page):
                activity_id = _int(activity.get("id"))
                if activity_id is None or (after is not None and activity_id <= after):
                    continue
                self.ctx.rows_read += 1
                self._note(activity, touched, created_here, reread)
        for issue_id in self.deleted:
            touched.pop(issue_id, None)
            previous.pop(issue_id, None)
        for issue_id in touched:
            if issue_id not in previous and issue_id not in created_here:
                reread.add(issue_id)  # history before the cursor unknown here: read it whole
        found = self._issues_by_id(sorted(touched.keys() | reread))
        out: list[Timeline] = []
        for issue_id in sorted(touched.keys() | reread):
            issue = found.get(issue_id)
            if issue is None:  # gone, or moved out of sight
                self.deleted.add(issue_id)
                previous.pop(issue_id, None)
                continue
            if issue_id in reread:
                timeline = self._timeline(issue, self._comments_of(issue))
            elif (timeline := previous.get(issue_id)) is not None:
                timeline.issue = issue
                for change in touched[issue_id]:
                    timeline.add(change)
            else:  # created since the cursor: its whole history is in the activities read
                ordered = sorted(touched[issue_id], key=lambda c: (c.at, c.comment_id))
                timeline = timeline_of(issue, ordered)
            if timeline is not None:
                previous[issue_id] = timeline
                out.append(timeline)
        return out

    def _note(
        self,
        activity: Row,
        touched: dict[int, list[Change]],
        created_here: set[int],
        reread: set[int],
    ) -> None:
        project = activity.get("project")
        project_id = _int(project.get("id")) if isinstance(project, dict) else None
        if self.project_ids is not None and project_id not in self.project_ids:
            return
        kind, content = activity.get("type"), activity.get("content")
        if not isinstance(content, dict):
            return
        if kind == _BULK:
            status_changed = any(
                c.get("field") == "status" for c in as_rows(content.get("changes"))
            )
            for link in as_rows(content.get("link")):
                if (issue_id := _int(link.get("id"))) is not None:
                    touched.setdefault(issue_id, [])
                    if status_changed:
                        reread.add(issue_id)
            return
        issue_id = _int(content.get("id"))
        if issue_id is None:
            return
        if kind == _DELETED:
            self.deleted.add(issue_id)
            return
        self.deleted.discard(issue_id)
        changes = touched.setdefault(issue_id, [])
        if kind == _CREATED:
            created_here.add(issue_id)
        comment = content.get("comment")
        comment_id = _int(comment.get("id")) if isinstance(comment, dict) else None
        at = _epoch(activity.get("created"))
        for change in as_rows(content.get("changes")):
            if change.get("field") != "status":
                continue
            to_id = _int(change.get("new_value"))
            if comment_id is None or at is None or to_id is None:
                reread.add(issue_id)
                continue
            changes.append(Change(comment_id, at, _int(change.get("old_value")), to_id))

    def _issues_by_id(self, ids: list[int]) -> dict[int, Row]:
        found: dict[int, Row] = {}
        for start in range(0, len(ids), PAGE_SIZE):
            chunk = ids[start : start + PAGE_SIZE]
            params = [("id[]", i) for i in chunk] + [("count", PAGE_SIZE)]
            for issue in as_rows(self.ctx.client.get("/issues", params)):
                if (issue_id := _int(issue.get("id"))) is not None:
                    found[issue_id] = issue
        return found
