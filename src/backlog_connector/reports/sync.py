"""Helpers of incremental runs: the search window, the issue tracker, the activity log."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import orjson

from backlog_connector.backlog.shapes import get_list
from backlog_connector.reports.base import RunContext
from backlog_connector.reports.columns import Row
from backlog_connector.reports.common import as_rows
from backlog_connector.reports.values import parse_timestamp

Params = list[tuple[str, Any]]

ISSUE_DELETED = 4
#: issues per search request (Backlog's maximum)
PAGE_SIZE = 100


def fingerprint(options: dict[str, Any]) -> str:
    """A short digest of the options: a cursor only applies to runs with the same options."""
    return hashlib.sha256(orjson.dumps(options, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


@dataclass(frozen=True)
class NewestActivity:
    """The space's newest activity when a run starts: its id, and its time (epoch seconds),
    which is no later than the run's start by the server's clock."""

    id: int | None
    created: int | None


def newest_activity(ctx: RunContext) -> NewestActivity:
    """The space's newest activity (both fields None when the log is empty)."""
    newest = get_list(ctx.client, "/space/activities", [("count", 1), ("order", "desc")])
    found = newest[0] if newest else {}
    activity_id, created = found.get("id"), found.get("created")
    return NewestActivity(
        activity_id if isinstance(activity_id, int) else None,
        parse_timestamp(created) if isinstance(created, str) else None,
    )


def search_order(since: int | None) -> Params:
    """``sort``/``order`` of an issue search. Incremental runs read their small window by
    ``updated`` ascending (an issue updated while pages are read moves later, so it cannot be
    skipped). Full runs read by ``created`` ascending: updates do not reorder that list, new
    issues land at its end, and sorting a whole space by ``updated`` for every page is costly;
    what changes behind a full run is picked up by the next run through the cursor, which is
    never later than the run's start (see ``IssueTracker.next_since``)."""
    if since is None:
        return [("sort", "created"), ("order", "asc")]
    return [("sort", "updated"), ("order", "asc")]


def deleted_issue_ids(
    ctx: RunContext, after: int | None, project_ids: Collection[int] | None
) -> list[int]:
    """Ids of issues deleted after activity ``after`` (None: as far back as the log goes),
    limited to ``project_ids`` when given."""
    deleted: list[int] = []
    params = [("activityTypeId[]", ISSUE_DELETED)]
    for page in ctx.client.iter_ids("/space/activities", params, order="asc", min_id=after):
        for activity in as_rows(page):
            activity_id = activity.get("id")
            if after is not None and isinstance(activity_id, int) and activity_id <= after:
                continue
            if activity.get("type") != ISSUE_DELETED:
                continue
            project = activity.get("project")
            if project_ids is not None and (
                not isinstance(project, dict) or project.get("id") not in project_ids
            ):
                continue
            content = activity.get("content")
            issue_id = content.get("id") if isinstance(content, dict) else None
            if isinstance(issue_id, int) and issue_id not in deleted:
                deleted.append(issue_id)
    return deleted


def iso_timestamp(epoch: int) -> str:
    """``2013-08-05T06:15:06Z`` for epoch seconds."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def search_window(filters: Params, since: int | None) -> Params:
    """The search filters, narrowed to the day before the cursor's date in incremental runs
    (``updatedSince`` takes a date whose zone Backlog does not document)."""
    if since is None:
        return list(filters)
    day = (dt.datetime.fromtimestamp(since, dt.UTC).date() - dt.timedelta(days=1)).isoformat()
    narrowed = [(k, v) for k, v in filters if k != "updatedSince"]
    user_since = next((v for k, v in filters if k == "updatedSince"), None)
    return [*narrowed, ("updatedSince", max(day, user_since) if user_since else day)]


def _loaded(row: Row | Callable[[], Row]) -> Row:
    """A row, or the row a loader gives (a natively parsed page's row, decoded on demand)."""
    return row if isinstance(row, dict) else row()


#: boundary rows a cursor remembers at most (beyond it an unchanged boundary row may repeat)
MAX_SEEN = 50_000


@dataclass
class IssueTracker:
    """Filters the pages of one run: no issue twice, none updated before the cursor, none the
    previous run already wrote unchanged; tracks what the count check and the next cursor
    need.

    The next run reads again from the cursor (inclusive), so the rows at the boundary come
    back unchanged: ``seen`` (from the cursor) holds ``id -> updated`` of the rows the previous
    run wrote at or after it, and those come back only if their ``updated`` moved, or (where
    ``digests`` holds the digest of the row's JSON as written) if their content changed
    within the same second. That keeps an append table from growing by the boundary rows at
    every run without a change, and a run with nothing changed writes nothing.
    """

    since: int | None  # epoch seconds of the previous cursor (None: full run)
    seen: dict[int, int] = field(default_factory=dict)
    digests: dict[int, str] = field(default_factory=dict)
    watch_from: int | None = None  # the run's start: rows updated from then on are remembered
    kept: set[int] = field(default_factory=set)
    fetched: set[int] = field(default_factory=set)
    greatest: int | None = None
    floor: int | None = None  # earliest update of a re-read we dropped
    _recent: dict[int, int] = field(default_factory=dict)  # written, updated >= watch_from
    _at_greatest: dict[int, int] = field(default_factory=dict)  # written, updated == greatest
    _rows: dict[int, Row] = field(default_factory=dict)  # the rows of the two above

    def __post_init__(self) -> None:
        if self.since is None:
            self.kept = self.fetched  # a full run keeps all it fetches: one set is enough
            self.seen = {}
            self.digests = {}

    def keep(self, page: list[Row]) -> list[Row]:
        """The issues of ``page`` to write."""
        rows: list[Row] = []
        for issue in page:
            raw = issue.get("updated")
            updated = parse_timestamp(raw) if isinstance(raw, str) else None
            if self._take(issue.get("id"), updated, issue):
                rows.append(issue)
        return rows

    def keep_rows(
        self, ids: Sequence[Any], updated: Sequence[Any], row: Callable[[int], Row]
    ) -> list[int]:
        """As :meth:`keep`, for a page given as its rows' ids and ``updated`` texts: the
        positions of the rows to write (``row(i)`` gives a row's JSON object where it is
        needed)."""
        kept: list[int] = []
        for i, (issue_id, raw) in enumerate(zip(ids, updated, strict=True)):
            at = parse_timestamp(raw) if isinstance(raw, str) else None
            if self._take(issue_id, at, partial(row, i)):
                kept.append(i)
        return kept

    def _take(self, issue_id: Any, updated: int | None, row: Row | Callable[[], Row]) -> bool:
        if issue_id in self.kept:
            # Updated while we paged: the first copy is written, the next run takes this one.
            if updated is not None and (self.floor is None or updated < self.floor):
                self.floor = updated
            return False
        if isinstance(issue_id, int):
            self.fetched.add(issue_id)
        if self.since is not None and updated is not None and updated < self.since:
            return False
        if isinstance(issue_id, int) and updated is not None and self.seen.get(issue_id) == updated:
            row = _loaded(row)  # decoded once, for the digest and for _remember
            if self._unchanged(issue_id, row):
                return False  # written unchanged by the previous run
        if isinstance(issue_id, int):
            self.kept.add(issue_id)
            if updated is not None:
                self._remember(issue_id, updated, row)
        if updated is not None and (self.greatest is None or updated > self.greatest):
            self.greatest = updated
        return True

    def _unchanged(self, issue_id: int, row: Row) -> bool:
        # a cursor of an earlier version holds no digests: an equal ``updated`` is enough
        known = self.digests.get(issue_id)
        return known is None or known == digest_of(row)

    def _remember(self, issue_id: int, updated: int, row: Row | Callable[[], Row]) -> None:
        recent = self.watch_from is not None and updated >= self.watch_from
        if recent:
            self._recent[issue_id] = updated
        if self.greatest is None or updated > self.greatest:
            for dropped in self._at_greatest:
                if dropped not in self._recent:
                    self._rows.pop(dropped, None)
            self._at_greatest = {issue_id: updated}
        elif updated == self.greatest:
            self._at_greatest[issue_id] = updated
        elif not recent:
            return
        self._rows[issue_id] = _loaded(row)

    def next_since(self, started: int | None = None) -> int | None:
        """Where the next run starts: the greatest ``updated`` written, pulled back to a
        dropped re-read if there was one, and to ``started`` (a server time no later than
        this run's start): whatever changed while the run read is then read again."""
        candidates = [v for v in (self.greatest, self.floor, started) if v is not None]
        if self.greatest is None and self.floor is None:
            return self.since
        return min(candidates)

    def boundary(self, next_since: int | None) -> dict[str, int]:
        """``seen`` for the next cursor: rows written (now or by the previous run, unchanged)
        whose ``updated`` is at or after ``next_since``, as JSON-ready ``{id: updated}``."""
        if next_since is None:
            return {}
        found: dict[int, int] = {}
        for source in (self.seen, self._recent, self._at_greatest):
            found.update((i, u) for i, u in source.items() if u >= next_since)
        if len(found) > MAX_SEEN:
            return {}
        return {str(i): u for i, u in sorted(found.items())}

    def boundary_digests(self, boundary: dict[str, int]) -> dict[str, str]:
        """The content digests of the rows of ``boundary`` (from :meth:`boundary`): of the
        rows written now, and those the previous run wrote, as JSON-ready ``{id: digest}``."""
        out: dict[str, str] = {}
        for key in boundary:
            issue_id = int(key)
            row = self._rows.get(issue_id)
            digest = digest_of(row) if row is not None else self.digests.get(issue_id)
            if digest is not None:
                out[key] = digest
        return out


def digest_of(row: Row) -> str:
    """A short digest of an issue's JSON (keys sorted): equal for equal content."""
    text = orjson.dumps(row, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.blake2b(text, digest_size=8).hexdigest()


def digests_of(cursor: dict[str, Any] | None) -> dict[int, str]:
    """The ``digests`` map of a cursor (ids and content digests), empty when absent (cursors
    of earlier versions) or malformed."""
    raw = cursor.get("digests") if cursor else None
    if not isinstance(raw, dict):
        return {}
    return {int(k): v for k, v in raw.items() if isinstance(v, str) and str(k).isdigit()}


def seen_of(cursor: dict[str, Any] | None) -> dict[int, int]:
    """The ``seen`` map of a cursor (ids and epoch seconds), empty when absent or malformed."""
    raw = cursor.get("seen") if cursor else None
    if not isinstance(raw, dict):
        return {}
    out: dict[int, int] = {}
    for key, value in raw.items():
        if isinstance(value, int) and str(key).isdigit():
            out[int(key)] = value
    return out
