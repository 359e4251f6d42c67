"""``issues``: every field of the chosen issues, flat and typed, synchronised incrementally.

Merge runs after the first ask only for issues updated since the day before the last run's
greatest ``updated`` (``sort=updated&order=asc``: an issue updated while pages are read moves
later, so it cannot be skipped), keep those updated at or after the cursor, and learn about
deletions from the space's "issue deleted" activities since the cursor's activity id. Every
run ends by comparing what it read with ``issues/count``; a difference marks it incomplete.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from backlog_connector.backlog.errors import UnexpectedShapeError
from backlog_connector.backlog.shapes import get_list, get_object
from backlog_connector.reports import fast_path
from backlog_connector.reports.base import RunContext, TableBatch, UpdateMode
from backlog_connector.reports.batching import BATCH_ROWS, BatchBuffer
from backlog_connector.reports.common import (
    CatalogReport,
    counted,
    resolve_projects,
)
from backlog_connector.reports.custom_fields import plan_columns, table_columns
from backlog_connector.reports.gc_pause import fewer_collections
from backlog_connector.reports.issue_columns import ISSUE_CHILDREN, ISSUES_TABLE
from backlog_connector.reports.issue_filters import (
    ISSUE_OPTIONS,
    ISSUE_PARSERS,
    Params,
    check_dates,
    search_params,
)
from backlog_connector.reports.native_batches import (
    NativeBuffer,
    NativeIssues,
    parse,
    row_loader,
    rows_of,
)
from backlog_connector.reports.prefetch import prefetch
from backlog_connector.reports.progress_totals import walk_total
from backlog_connector.reports.sync import (
    PAGE_SIZE,
    IssueTracker,
    deleted_issue_ids,
    digests_of,
    fingerprint,
    iso_timestamp,
    newest_activity,
    search_order,
    search_window,
    seen_of,
)
from backlog_connector.reports.values import parse_timestamp

CURSOR_VERSION = 1
#: pages of issues read ahead while earlier ones are turned into batches and written
READ_AHEAD = 4


class IssuesReport(CatalogReport):
    name = "issues"
    title = "Issues"
    description = (
        "Every issue of the chosen projects: all fields flattened, list fields "
        "as names plus child tables, one typed cf_* column per custom field."
    )
    options = ISSUE_OPTIONS
    parsers = ISSUE_PARSERS
    tables = (ISSUES_TABLE.spec(), *(c.shape.spec() for c in ISSUE_CHILDREN))
    update_modes = (UpdateMode.MERGE, UpdateMode.REPLACE, UpdateMode.APPEND)
    default_update_mode = UpdateMode.MERGE
    incremental = True

    def __init__(self, *, batch_rows: int = BATCH_ROWS, read_ahead: int = READ_AHEAD) -> None:
        super().__init__(batch_rows=batch_rows)
        #: pages fetched ahead on a helper thread (0: none, every page read on demand)
        self.read_ahead = read_ahead

    def validate_options(self, raw: Any) -> dict[str, Any]:
        options = super().validate_options(raw)
        check_dates(options)
        return options

    def read(self, ctx: RunContext) -> Iterator[TableBatch]:
        selector = ctx.options.get("projects")
        projects = resolve_projects(ctx, selector)
        filters = search_params(ctx, projects, all_projects=selector is None)
        definitions = [
            d for p in projects for d in get_list(ctx.client, f"/projects/{p['id']}/customFields")
        ]
        planned = plan_columns(definitions)
        shape = ISSUES_TABLE.with_columns(table_columns(planned))

        digest = fingerprint(ctx.options)
        cursor = self._usable_cursor(ctx, digest)
        since = parse_timestamp(cursor["updated"]) if cursor and cursor.get("updated") else None
        newest = newest_activity(ctx)  # before the issues: later changes are seen next time
        top_activity = newest.id
        window = search_window(filters, since)
        tracker = IssueTracker(
            since, seen=seen_of(cursor), digests=digests_of(cursor), watch_from=newest.created
        )
        buffer = BatchBuffer(shape, ISSUE_CHILDREN, space=ctx.space, limit=self.batch_rows)
        build = NativeIssues.build(shape, ISSUE_CHILDREN, planned) if fast_path.enabled() else None
        params = [*window, *search_order(since)]
        pages: Iterator[Any]
        if build is None:
            pages = ctx.client.iter_offset("/issues", params, page_size=PAGE_SIZE)
        else:
            pages = ctx.client.iter_offset_decoded("/issues", params, parse, page_size=PAGE_SIZE)
        if self.read_ahead:
            pages = prefetch(pages, self.read_ahead)
        walk_total(ctx, window, full=since is None)  # for the progress display
        natively = (
            NativeBuffer(build, buffer, space=ctx.space, limit=self.batch_rows) if build else None
        )
        with fewer_collections() as collections:
            for page in counted(ctx, pages):
                ctx.progress_advance(len(page))
                if isinstance(page, list) or natively is None:
                    if natively is not None:
                        yield from natively.flush()  # the rows keep their order
                    yield from buffer.add(tracker.keep(page))
                else:
                    yield from _native_page(page, tracker, natively, buffer)
                collections.tick(len(page))
            if natively is not None:
                yield from natively.flush()
            yield from buffer.flush()

        expected = _count(ctx, window)
        # Merge runs delete what was deleted since the last run; every run needs the issues
        # deleted while it paged, which the count no longer includes.
        merge = ctx.mode is UpdateMode.MERGE
        after = ctx.cursor.get("activity_id") if merge and ctx.cursor else top_activity
        project_ids = None if selector is None else {p["id"] for p in projects}
        deleted = deleted_issue_ids(ctx, after, project_ids)
        if merge:
            ctx.deleted_keys = [(i,) for i in deleted]
        live = len(tracker.fetched.difference(deleted))
        ctx.complete = expected is None or expected == live
        next_since = tracker.next_since(newest.created)
        if not ctx.complete:
            ctx.incomplete_reason = (
                f"read {live} distinct issues but issues/count reported {expected} for the "
                "same filters: issues changed while the run paged"
                + (
                    " (the next run reads the same window again)"
                    if since is not None
                    else " (the next run reads everything again)"
                )
            )
            if since is not None:
                next_since = since

        if top_activity is None and ctx.cursor:
            top_activity = ctx.cursor.get("activity_id")
        ctx.new_cursor = {
            "version": CURSOR_VERSION,
            "options": digest,
            "updated": None if next_since is None else iso_timestamp(next_since),
            "activity_id": top_activity,
            "seen": (boundary := tracker.boundary(next_since)),
            "digests": tracker.boundary_digests(boundary),
            # a full run that missed issues must be followed by another full run
            "complete": ctx.complete or since is not None,
        }

    @staticmethod
    def _usable_cursor(ctx: RunContext, digest: str) -> dict[str, Any] | None:
        cursor = ctx.cursor
        if ctx.mode is UpdateMode.REPLACE or not cursor:
            return None
        if cursor.get("version") != CURSOR_VERSION or cursor.get("options") != digest:
            return None
        if not cursor.get("complete", True):
            return None
        return cursor


def _native_page(
    page: Any, tracker: IssueTracker, natively: NativeBuffer, buffer: BatchBuffer
) -> Iterator[TableBatch]:
    """The batches a natively parsed page completes: natively when the tracker keeps all of
    its rows, else its kept rows the Python way."""
    ids, updated = page.ints("id"), page.texts("updated")
    if ids is None or updated is None:
        kept_rows = tracker.keep(rows_of(page))
    else:
        row = row_loader(page)
        kept = tracker.keep_rows(ids, updated, row)
        if len(kept) == len(page):
            yield from buffer.flush()  # the rows keep their order
            yield from natively.add(page)
            return
        kept_rows = [row(i) for i in kept]
    yield from natively.flush()
    yield from buffer.add(kept_rows)


def _count(ctx: RunContext, window: Params) -> int | None:
    count = get_object(ctx.client, "/issues/count", window, keys=("count",))["count"]
    if not isinstance(count, int) or isinstance(count, bool):
        raise UnexpectedShapeError(
            f"GET /issues/count answered with count {count!r} where Backlog documents an "
            "integer; nothing was committed. Report it with this message.",
            path="/issues/count",
        )
    return count
