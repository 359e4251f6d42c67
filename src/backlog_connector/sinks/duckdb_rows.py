"""A DuckDB run's staged rows: Arrow IPC stream files that the commit reads once, in order.

Each table of a run writes its batches, as they come, to segment files in the run's rows folder
(``<token>.rows/`` beside its staging file): one segment per stretch of batches that share a
schema, each row numbered (``SEQ_COLUMN``) in the order the run wrote it. Writing a batch costs a
copy of its buffers to the file, and the commit's statements read the segments straight into
the warehouse, so each row is encoded into DuckDB's storage once. A delete is recorded with the
number the next staged row would get: a staged row is gone when a delete of its key came after
it.

``StagedRows`` also says whether a key may occur in more than one batch (within a batch the
sink keeps only the last row of a key): only then does the commit look for repeated keys.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from backlog_connector.sinks.arrow_batches import has_repeats
from backlog_connector.sinks.naming import quote

#: the row number of a staged row (in the order the run wrote them); never reaches a table
SEQ_COLUMN = "_backlog_connector_seq"
_ordinals: pa.Array = pa.array([], pa.int64())


def ordinals(start: int, count: int) -> pa.Array:
    """``start, start + 1, ..., start + count - 1`` as an int64 array."""
    global _ordinals
    cached = _ordinals  # once: runs of other threads may replace it meanwhile
    if len(cached) < count:  # grown to the largest batch, then sliced
        cached = _ordinals = pa.array(range(max(count, 2 * len(cached))), pa.int64())
    base = cached.slice(0, count)
    return base if start == 0 else pc.add(base, pa.scalar(start, pa.int64()))


@dataclass
class Segment:
    """One IPC stream file of a table's staged rows: batches of one schema, in order."""

    path: Path
    schema: pa.Schema
    writer: pa.ipc.RecordBatchStreamWriter | None

    @property
    def columns(self) -> dict[str, str]:
        """Lower-cased name -> the name in the file, of the staged columns (not the number)."""
        return {n.lower(): n for n in self.schema.names if n != SEQ_COLUMN}


@dataclass
class StagedRows:
    """The staged rows of one table of a run (written from one thread at a time)."""

    folder: Path
    stem: str
    #: whether the commit removes a key's repeats across batches (merge), so they are tracked
    track_repeats: bool = False
    segments: list[Segment] = field(default_factory=list)
    _keys: list[pa.Array] = field(default_factory=list)
    _may_repeat: bool = False

    def write(self, data: pa.Table, first_seq: int, folded: pa.Array | None = None) -> None:
        """Stage ``data`` (the columns to keep), its rows numbered from ``first_seq``;
        ``folded``: the ``arrow_batches.combined_key`` of its rows (None: not foldable)."""
        if data.num_rows == 0:
            return
        numbered = data.append_column(SEQ_COLUMN, ordinals(first_seq, data.num_rows))
        segment = self.segments[-1] if self.segments else None
        if segment is not None and segment.schema != numbered.schema:
            conformed = _conformed(numbered, segment.schema)
            if conformed is None:  # a new column or type: a new segment, keeping the old ones
                wider = _widened(numbered.schema, segment.schema)
                segment = self._open_segment(wider)
                conformed = _conformed(numbered, wider)
                assert conformed is not None  # wider has every column of the batch
            numbered = conformed
        if segment is None:
            segment = self._open_segment(numbered.schema)
        assert segment.writer is not None
        segment.writer.write_table(numbered)
        self._track_keys(folded)

    def close(self) -> None:
        """Finish every segment file (the commit reads them); safe to call more than once."""
        for segment in self.segments:
            if segment.writer is not None:
                segment.writer.close()
                segment.writer = None

    def abandon(self) -> None:
        """Let go of the segment files without finishing them (the run failed; a full disk
        must not hide the first error)."""
        for segment in self.segments:
            if segment.writer is not None:
                with contextlib.suppress(OSError, pa.ArrowException):
                    segment.writer.close()
                segment.writer = None

    def may_repeat(self) -> bool:
        """Whether a key may occur in more than one batch (False: it certainly does not)."""
        if self._may_repeat or len(self._keys) < 2:
            return self._may_repeat
        return has_repeats(pa.chunked_array(self._keys).combine_chunks())

    @contextmanager
    def registered(self, cur: duckdb.DuckDBPyConnection) -> Iterator[list[tuple[str, Segment]]]:
        """Each segment as a view of ``cur`` that can be scanned once; yields (view, segment)."""
        views = []
        files = []
        try:
            for number, segment in enumerate(self.segments):
                view = f"_backlog_connector_{self.stem}_{number}"
                # read, not memory-mapped: a mapped file's pages would stay in the process's
                # resident memory as the scan touched them (all of them, by its end)
                files.append(pa.OSFile(str(segment.path)))
                cur.register(view, pa.ipc.open_stream(files[-1]))
                views.append((view, segment))
            yield views
        finally:
            for view, _segment in views:
                # after a failed statement DuckDB refuses this too; the first error is the one
                # to raise
                with contextlib.suppress(duckdb.Error):
                    cur.unregister(view)
            for file in files:
                file.close()

    def _open_segment(self, schema: pa.Schema) -> Segment:
        self.close()
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.stem}_{len(self.segments)}.arrows"
        segment = Segment(path, schema, pa.ipc.new_stream(str(path), schema))
        self.segments.append(segment)
        return segment

    def _track_keys(self, folded: pa.Array | None) -> None:
        if not self.track_repeats or self._may_repeat:
            return
        if folded is None:  # not foldable: the commit looks for repeats in DuckDB
            self._may_repeat, self._keys = True, []
        else:
            self._keys.append(folded)


def _conformed(data: pa.Table, schema: pa.Schema) -> pa.Table | None:
    """``data`` with the columns of ``schema`` (NULL where it lacks one), or None when it has a
    column ``schema`` lacks or one whose type does not cast."""
    if any(schema.get_field_index(name) < 0 for name in data.column_names):
        return None
    columns = []
    for target in schema:
        if target.name not in data.column_names:
            columns.append(pa.nulls(data.num_rows, target.type))
            continue
        column = data.column(target.name)
        if column.type != target.type:
            try:
                column = column.cast(target.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return None
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


def _widened(schema: pa.Schema, previous: pa.Schema) -> pa.Schema:
    """``schema`` plus the columns of ``previous`` it lacks (so that batches alternating between
    the two keep to one segment)."""
    names = {name.lower() for name in schema.names}
    return pa.schema([*schema, *(f for f in previous if f.name.lower() not in names)])


def union_sql(
    views: Sequence[tuple[str, Segment]],
    columns: Sequence[tuple[str, str]],
    literals: dict[str, str],
) -> str:
    """The segments' rows in order, with the table's ``columns`` ((name, DuckDB type); one a
    segment lacks is NULL, one in ``literals`` is that SQL literal) and ``SEQ_COLUMN``."""
    parts = []
    listed: Sequence[tuple[str, Segment | None]] = views or [("", None)]
    for view, segment in listed:
        present = segment.columns if segment is not None else {}
        items = []
        for name, type_ in columns:
            if name in literals:
                value = literals[name]
            elif name.lower() in present:
                value = f"s.{quote(present[name.lower()])}"
            else:
                value = f"CAST(NULL AS {type_})"
            items.append(f"{value} AS {quote(name)}")
        if segment is None:  # no rows staged: the right columns, no row
            items.append(f"CAST(NULL AS BIGINT) AS {SEQ_COLUMN}")
            parts.append(f"SELECT {', '.join(items)} WHERE false")
        else:
            items.append(f"s.{SEQ_COLUMN}")
            parts.append(f"SELECT {', '.join(items)} FROM {quote(view)} AS s")
    return " UNION ALL ".join(parts)


def later_join(
    alias: str, other: str, pairs: Sequence[tuple[str, str]], *, kind: str = "LEFT JOIN"
) -> str:
    """``LEFT JOIN`` of ``other`` (one row per key, with the number of its last event in a
    column named ``seq``) to the staged rows (alias s), on ``pairs`` ((column of other, column
    of the staged rows)). An equality join with ``other`` as the small side: the staged rows
    stream through it in order, where a correlated ``NOT EXISTS`` made DuckDB keep them all."""
    match = " AND ".join(f"{alias}.{a} = s.{quote(b)}" for a, b in pairs)
    return f" {kind} {other} AS {alias} ON {match}"


def kept_after(alias: str) -> str:
    """The condition of a staged row that no later event of ``later_join``'s ``alias`` removed
    (no such event, or its number is not greater than the row's)."""
    return f"({alias}.seq IS NULL OR {alias}.seq <= s.{SEQ_COLUMN})"
