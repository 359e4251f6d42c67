"""Paging strategies: tiny objects that say which parameters the next page needs, and when to stop.

Backlog has three styles (backlog-api.md section 0.4): whole lists, offset/count (issues, teams)
and an id cursor (activities, comments). ``count`` is always sent, so Backlog's default page of
20 never truncates a read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from backlog_connector.backlog.errors import (
    BadResponseError,
    InvalidOptionError,
    UnexpectedShapeError,
)
from backlog_connector.backlog.shapes import describe

MAX_PAGE_SIZE = 100
Row = dict[str, Any]


class Paginator(Protocol):
    """A paging strategy; one instance serves one walk."""

    #: parameter names the strategy owns (the caller's values for them are replaced)
    owned: frozenset[str]
    #: False once the last page has been taken
    has_next: bool

    def page_params(self) -> list[tuple[str, str]]:
        """Parameters of the next request."""
        ...

    def take(self, page: Sequence[Mapping[str, Any]]) -> list[Row]:
        """Record a page; return its rows (de-duplicated where the strategy needs it)."""
        ...


def _rows(page: Sequence[Mapping[str, Any]]) -> list[Row]:
    bad = [item for item in page if not isinstance(item, dict)]
    if bad:
        raise UnexpectedShapeError(
            f"A page of a list endpoint holds {describe(bad[0])} where Backlog sends objects "
            f"({len(bad)} of {len(page)} items); nothing was loaded. Report it with this message."
        )
    return list(page)  # type: ignore[arg-type]


def _check_page_size(page_size: int) -> int:
    if not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidOptionError(
            f"page_size is {page_size!r}; Backlog returns 1 to {MAX_PAGE_SIZE} rows a page."
        )
    return page_size


class SinglePage:
    """The whole list comes in one response."""

    owned: frozenset[str] = frozenset()

    def __init__(self) -> None:
        self.has_next = True

    def page_params(self) -> list[tuple[str, str]]:
        return []

    def take(self, page: Sequence[Mapping[str, Any]]) -> list[Row]:
        self.has_next = False
        return _rows(page)


class OffsetPaginator:
    """``offset``/``count`` paging; a page shorter than ``count`` is the last one."""

    owned = frozenset({"offset", "count"})

    def __init__(self, page_size: int = MAX_PAGE_SIZE, offset: int = 0) -> None:
        self.page_size = _check_page_size(page_size)
        if offset < 0:
            raise InvalidOptionError(f"offset is {offset}; use 0 or more.")
        self.offset = offset
        self.has_next = True

    def page_params(self) -> list[tuple[str, str]]:
        return [("offset", str(self.offset)), ("count", str(self.page_size))]

    def take(self, page: Sequence[Mapping[str, Any]]) -> list[Row]:
        self.advance(len(page))
        return _rows(page)

    def advance(self, rows: int) -> None:
        """Move past a page of ``rows`` rows (one already checked to hold objects)."""
        self.offset += rows
        self.has_next = rows >= self.page_size


class IdCursorPaginator:
    """``minId``/``maxId`` keyset paging in ``order`` (``"desc"`` or ``"asc"``).

    ``min_id``/``max_id`` are exclusive bounds: only rows with ``min_id < id < max_id`` are
    returned. Whether Backlog treats ``minId``/``maxId`` as inclusive is undocumented, so the
    cursor moves to the last id seen and rows at or beyond it are dropped: each id comes once.
    """

    owned = frozenset({"minId", "maxId", "count", "order"})

    def __init__(
        self,
        order: str = "desc",
        min_id: int | None = None,
        max_id: int | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        if order not in ("asc", "desc"):
            raise InvalidOptionError(f"order is {order!r}; use 'asc' or 'desc'.")
        if min_id is not None and max_id is not None and min_id >= max_id:
            raise InvalidOptionError(
                f"min_id {min_id} is not below max_id {max_id}; nothing lies between them."
            )
        self.order = order
        self.page_size = _check_page_size(page_size)
        self.min_id = min_id
        self.max_id = max_id
        self.has_next = True

    def page_params(self) -> list[tuple[str, str]]:
        params = [("order", self.order), ("count", str(self.page_size))]
        if self.min_id is not None:
            params.append(("minId", str(self.min_id)))
        if self.max_id is not None:
            params.append(("maxId", str(self.max_id)))
        return params

    def take(self, page: Sequence[Mapping[str, Any]]) -> list[Row]:
        rows: list[Row] = []
        for row in _rows(page):
            row_id = row.get("id")
            if not isinstance(row_id, int):
                raise BadResponseError(
                    "A page of an id-cursor listing holds a row without an integer id; "
                    "the response is not what Backlog sends, try again later."
                )
            if (self.min_id is None or row_id > self.min_id) and (
                self.max_id is None or row_id < self.max_id
            ):
                rows.append(row)
        if rows:
            ids = [row["id"] for row in rows]
            if self.order == "desc":
                self.max_id = min(ids)
            else:
                self.min_id = max(ids)
        # a short page is the last; a full page with nothing new would loop forever
        self.has_next = len(page) >= self.page_size and bool(rows)
        return rows
