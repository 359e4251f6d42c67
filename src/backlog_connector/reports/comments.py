"""``comments``: the comments of issues updated since the last run, and their change logs.

The walk (:class:`CommentWalk`, shared with ``issue_status_history`` in
:mod:`.status_history`): search the chosen projects' issues updated since the day before the
cursor (all issues on a first run), then read every comment of each issue that changed.
Reading all of a changed issue's comments (not only new ids) also picks up edited comments.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from backlog_connector.reports.base import ProgressEvent, RunContext, TableBatch, UpdateMode
from backlog_connector.reports.batching import BatchBuffer, ChildTable
from backlog_connector.reports.columns import (
    Lookup,
    Row,
    Rows,
    TableShape,
    count_of,
    derived,
    field,
    user_fields,
)
from backlog_connector.reports.common import (
    PROJECTS_OPTION,
    PROJECTS_PARSER,
    CatalogReport,
    as_rows,
    resolve_projects,
)
from backlog_connector.reports.progress_totals import walk_total
from backlog_connector.reports.read_ahead import read_ahead
from backlog_connector.reports.sync import (
    PAGE_SIZE,
    IssueTracker,
    fingerprint,
    iso_timestamp,
    newest_activity,
    search_order,
    search_window,
)
from backlog_connector.reports.values import INT, STRING, TIMESTAMP, parse_timestamp

CURSOR_VERSION = 1


def _changed_fields(lookup: Lookup) -> list[str | None]:
    return [
        ", ".join(str(c.get("field")) for c in as_rows(log)) or None
        for log in lookup.values(("changeLog",))
    ]


COMMENTS_TABLE = TableShape(
    "",
    (
        field("id", INT),
        field("issueId", INT),
        field("issueKey", STRING),
        field("projectId", INT),
        field("content", STRING),
        *user_fields("createdUser"),
        field("created", TIMESTAMP),
        field("updated", TIMESTAMP),
        derived("change_count", INT, count_of("changeLog")),
        derived("changed_fields", STRING, _changed_fields),
        derived("star_count", INT, count_of("stars")),
    ),
    extra=True,
    known=frozenset({"changeLog", "stars", "notifications"}),
    key=("id",),
    description="one row per comment of the chosen projects' issues",
)

CHANGE_LOG_TABLE = TableShape(
    "change_log",
    (
        field("commentId", INT),
        field("position", INT),
        field("issueId", INT),
        field("field", STRING),
        field("newValue", STRING),
        field("originalValue", STRING),
        field("attachmentInfo.id", INT),
        field("attachmentInfo.name", STRING),
        field("attributeInfo.id", INT),
        field("attributeInfo.typeId", INT),
        field("notificationInfo.type", STRING),
    ),
    key=("comment_id", "position"),
    description="one row per field change recorded by a comment",
    parent_key=("comment_id",),
)


def comment_changes(comments: Rows) -> list[Row]:
    """Each entry of each comment's ``changeLog``, numbered from 0."""
    return [
        {
            **change,
            "commentId": comment.get("id"),
            "issueId": comment.get("issueId"),
            "position": position,
        }
        for comment in comments
        for position, change in enumerate(as_rows(comment.get("changeLog")))
    ]


#: issues between checkpoints of a long walk (each checkpoint flushes the batch buffer)
CHECKPOINT_ISSUES = 200


def read_issue_comments(ctx: RunContext, issue: Row) -> list[Row]:
    """Every comment of ``issue`` (oldest first) tagged with its issue id, key and project
    (thread-safe: counts nothing in ``ctx``)."""
    tags = {
        "issueId": issue.get("id"),
        "issueKey": issue.get("issueKey"),
        "projectId": issue.get("projectId"),
    }
    pages = ctx.client.iter_ids(f"/issues/{issue['id']}/comments", [], order="asc")
    return [{**c, **tags} for p in pages for c in as_rows(p)]


class CommentWalk:
    """The comments of the issues that changed since the cursor, issue by issue.

    Checkpoints: every ``CHECKPOINT_ISSUES`` issues the report flushes its rows and calls
    ``checkpoint()``, which sets ``ctx.checkpoint``: the cursor of the run so far plus
    ``resume`` (the search's sort key and the value and id of the last issue whose rows are all
    written, and the first attempt's start). A run that fails later may commit with it; the
    next run then searches the same window and skips the issues before that point (issues
    updated meanwhile sort later and are read again). The final cursor is never later than the
    first attempt's start, so nothing that changed during the attempts is missed.
    """

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        selector = ctx.options.get("projects")
        self.projects = resolve_projects(ctx, selector)
        self.filters = [] if selector is None else [("projectId[]", p["id"]) for p in self.projects]
        self.digest = fingerprint(ctx.options)
        cursor = ctx.cursor
        usable = (
            ctx.mode is not UpdateMode.REPLACE
            and cursor is not None
            and cursor.get("version") == CURSOR_VERSION
            and cursor.get("options") == self.digest
            and cursor.get("updated")
        )
        self.since = parse_timestamp(cursor["updated"]) if usable and cursor else None
        self.tracker = IssueTracker(self.since)
        newest = newest_activity(ctx)
        self.started = newest.created  # what changes during the walk: next run
        self.started_id = newest.id
        self.sort_key = "created" if self.since is None else "updated"
        self.resume = self._resume_point(cursor)
        if self.resume is not None and isinstance(self.resume.get("started"), int):
            first = self.resume["started"]
            self.started = first if self.started is None else min(first, self.started)
        self.walked = 0
        self._last: tuple[int, int] | None = None  # (sort value, id) of the last issue done

    def _resume_point(self, cursor: dict[str, Any] | None) -> dict[str, Any] | None:
        """The checkpoint a failed earlier attempt committed, if it applies to this walk."""
        if (self.ctx.mode is not UpdateMode.MERGE or cursor is None
                or cursor.get("version") != CURSOR_VERSION
                or cursor.get("options") != self.digest):  # fmt: skip
            return None
        resume = cursor.get("resume")
        if not isinstance(resume, dict) or resume.get("key") != self.sort_key:
            return None
        if not isinstance(resume.get("at"), int) or not isinstance(resume.get("id"), int):
            return None
        return resume

    def _done_before(self, issue: Row) -> bool:
        """Whether an earlier attempt wrote this issue's rows (it sorts before the resume
        point: an issue updated since sorts later and is read again)."""
        if self.resume is None:
            return False
        raw = issue.get(self.sort_key)
        value = parse_timestamp(raw) if isinstance(raw, str) else None
        if value is None:
            return False
        return bool(value < self.resume["at"] or issue.get("id") == self.resume["id"])

    def comments(self) -> Iterator[list[Row]]:
        """Per changed issue, its comments (oldest first) tagged with issue id, key, project."""
        window = search_window(self.filters, self.since)
        params = [*window, *search_order(self.since)]
        walk_total(self.ctx, window, full=self.since is None)

        def issues() -> Iterator[Row]:
            for page in self.ctx.client.iter_offset("/issues", params, page_size=PAGE_SIZE):
                for issue in self.tracker.keep(page):
                    if self._done_before(issue):
                        self.ctx.progress_advance()
                    else:
                        yield issue

        for issue, comments in read_ahead(lambda i: read_issue_comments(self.ctx, i), issues()):
            self.ctx.progress_advance()
            self.ctx.rows_read += len(comments)
            raw = issue.get(self.sort_key)
            value = parse_timestamp(raw) if isinstance(raw, str) else None
            if isinstance(issue.get("id"), int) and value is not None:
                self._last = (value, int(issue["id"]))
            self.walked += 1
            self.ctx.progress(ProgressEvent("rows", rows=self.ctx.rows_read,
                                            message=f"{self.walked} issues"))  # fmt: skip
            yield comments

    def due(self) -> bool:
        """Whether it is time for a checkpoint (after the rows of the issue just yielded)."""
        return self.walked > 0 and self.walked % CHECKPOINT_ISSUES == 0

    def checkpoint(self) -> None:
        """Record where the walk is; call after every row of the issues walked was yielded."""
        if self._last is None or self.ctx.mode is not UpdateMode.MERGE:
            return
        at, issue_id = self._last
        self.ctx.checkpoint = {
            "version": CURSOR_VERSION,
            "options": self.digest,
            "updated": None if self.since is None else iso_timestamp(self.since),
            "resume": {"key": self.sort_key, "at": at, "id": issue_id, "started": self.started},
        }
        self.ctx.checkpoint_note = (
            f"the rows of the {self.walked} issues read so far were kept: the next run"
            " resumes after them"
        )

    def finish(self) -> None:
        """Set the next cursor (the greatest ``updated`` of the issues walked)."""
        since = self.tracker.next_since(self.started)
        self.ctx.new_cursor = {
            "version": CURSOR_VERSION,
            "options": self.digest,
            "updated": None if since is None else iso_timestamp(since),
            "activity_id": self.started_id,
        }


class CommentsReport(CatalogReport):
    name = "comments"
    title = "Comments"
    description = (
        "The comments of the chosen projects' issues, incremental: each run reads "
        "the comments of the issues updated since the last one."
    )
    options = (PROJECTS_OPTION,)
    parsers = PROJECTS_PARSER
    tables = (COMMENTS_TABLE.spec(), CHANGE_LOG_TABLE.spec())
    update_modes = (UpdateMode.MERGE, UpdateMode.REPLACE)
    default_update_mode = UpdateMode.MERGE
    incremental = True

    def read(self, ctx: RunContext) -> Iterator[TableBatch]:
        walk = CommentWalk(ctx)
        buffer = BatchBuffer(
            COMMENTS_TABLE,
            (ChildTable(CHANGE_LOG_TABLE, comment_changes),),
            space=ctx.space,
            limit=self.batch_rows,
        )
        for comments in walk.comments():
            yield from buffer.add(comments)
            if walk.due():
                yield from buffer.flush()
                walk.checkpoint()
        yield from buffer.flush()
        walk.finish()
