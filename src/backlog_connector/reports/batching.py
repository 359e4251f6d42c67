"""Bounded batching: raw page rows in, ``TableBatch``es for a main table and its children out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from backlog_connector.reports import fast_path
from backlog_connector.reports.base import TableBatch
from backlog_connector.reports.columns import Lookup, Row, Rows, TableShape

#: rows per batch: large enough for fast columnar work, small enough to keep memory flat
BATCH_ROWS = 2000

Explode = Callable[[Rows], list[Row]]
#: child values gathered column by column: column name -> values (all of one length)
ExplodeColumns = Callable[[Lookup], Mapping[str, Sequence[Any] | pa.Array]]


@dataclass(frozen=True)
class ChildTable:
    """A child table: its shape and how its rows come out of the main table's raw rows,
    either as row objects (``explode``) or, on hot paths, column by column (``columns``)."""

    shape: TableShape
    explode: Explode | None = None
    columns: ExplodeColumns | None = None

    def batch(self, parents: Rows | Lookup, space: str) -> pa.RecordBatch | None:
        """The child rows of ``parents`` as a batch (None when there are none). Given the
        parents' ``Lookup``, work already done for the parent batch is shared."""
        if not isinstance(parents, Lookup):
            parents = Lookup(parents)
        if self.columns is not None and (self.explode is None or fast_path.enabled()):
            values = self.columns(parents)
            count = len(next(iter(values.values()), []))
            return self.shape.batch_of_columns(values, count, space) if count else None
        rows = self.explode(parents.rows) if self.explode is not None else []
        return self.shape.batch(rows, space) if rows else None


class BatchBuffer:
    """Collects raw rows and turns them into batches every ``limit`` rows.

    Each flush yields the main table's batch first, then the children's (a merge sink replaces a
    parent's children when the parent is written, so the children must follow it).
    """

    def __init__(
        self,
        main: TableShape,
        children: Sequence[ChildTable] = (),
        *,
        space: str,
        limit: int = BATCH_ROWS,
    ) -> None:
        self.main = main
        self.children = tuple(children)
        self.space = space
        self.limit = limit
        self.rows_out = 0
        self._rows: list[Row] = []

    def add(self, rows: Iterable[Row]) -> Iterator[TableBatch]:
        """Buffer ``rows``; yield full batches as the buffer reaches ``limit``."""
        self._rows.extend(rows)
        while len(self._rows) >= self.limit:
            chunk, self._rows = self._rows[: self.limit], self._rows[self.limit :]
            yield from self._emit(chunk)

    def flush(self) -> Iterator[TableBatch]:
        """Yield what is left (nothing if the buffer is empty)."""
        if self._rows:
            chunk, self._rows = self._rows, []
            yield from self._emit(chunk)

    def _emit(self, rows: Rows) -> Iterator[TableBatch]:
        self.rows_out += len(rows)
        lookup = Lookup(rows)
        yield TableBatch(self.main.suffix, self.main.batch(lookup, self.space))
        for child in self.children:
            batch = child.batch(lookup, self.space)
            if batch is not None:
                yield TableBatch(child.shape.suffix, batch)


def batches_of(
    main: TableShape,
    pages: Iterable[Rows],
    *,
    space: str,
    children: Sequence[ChildTable] = (),
    limit: int = BATCH_ROWS,
) -> Iterator[TableBatch]:
    """Every batch of ``pages`` (an iterable of row lists), bounded to ``limit`` rows each."""
    buffer = BatchBuffer(main, children, space=space, limit=limit)
    for page in pages:
        yield from buffer.add(page)
    yield from buffer.flush()
