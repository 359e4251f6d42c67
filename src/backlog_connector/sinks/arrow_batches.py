"""Arrow-side checks and shaping of a batch before DuckDB sees it (bounded: one batch at a time)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from backlog_connector.sinks.errors import BadBatchError

_POSITION = "__backlog_connector_position"
#: what the names of the sinks' own working columns start with (after leading underscores)
_RESERVED = "backlog_connector_"
#: folds the integer columns of a composite key into one integer (wrapping on overflow); a
#: collision only sends the batch down the exact path
_KEY_MULTIPLIER = 1_000_003


def as_table(batch: pa.RecordBatch | pa.Table) -> pa.Table:
    """A zero-copy ``pa.Table`` view of a record batch (DuckDB scans either)."""
    if isinstance(batch, pa.Table):
        return batch
    if isinstance(batch, pa.RecordBatch):
        return pa.Table.from_batches([batch])
    raise BadBatchError(
        f"a TableBatch must carry a pyarrow.RecordBatch, got {type(batch).__name__}"
    )


def check_columns(names: Sequence[str], where: str, required: Sequence[str]) -> None:
    """Reject duplicate column names (DuckDB compares names case-insensitively), names the
    sinks keep for their own columns, and missing key columns."""
    seen: dict[str, str] = {}
    for name in names:
        if name.lower().lstrip("_").startswith(_RESERVED):
            raise BadBatchError(
                f"{where}: the batch has a column named {name!r}; names starting with "
                f"'_{_RESERVED}' are the sink's own (staging row numbers), so rename it in the "
                "report"
            )
        other = seen.setdefault(name.lower(), name)
        if other is not name:
            raise BadBatchError(
                f"{where}: the batch has two columns named {other!r} and {name!r}; DuckDB "
                "column names ignore case, so the report must give them distinct names"
            )
    for name in required:
        if name not in names:
            raise BadBatchError(
                f"{where}: the batch lacks the key column {name!r}; every batch must carry "
                f"the key columns {tuple(required)!r}"
            )


def check_keys_set(table: pa.Table, where: str, required: Sequence[str]) -> None:
    """Reject NULL values in the key columns."""
    for name in required:
        nulls = table.column(name).null_count
        if nulls:
            raise BadBatchError(
                f"{where}: key column {name!r} is NULL in {nulls} row(s); keys must be set"
            )


def combined_key(table: pa.Table, key: Sequence[str]) -> pa.Array | None:
    """The ``key`` columns of ``table`` folded into one int64 per row, equal for equal keys (and,
    rarely, for different ones); None when a key column is neither an integer nor a timestamp."""
    combined: pa.Array | None = None
    for name in key:
        column = table.column(name)
        if not (pa.types.is_integer(column.type) or pa.types.is_timestamp(column.type)):
            return None
        values = pc.cast(column, pa.int64(), safe=False).combine_chunks()  # wraps: only hashed
        combined = (
            values if combined is None else pc.add(pc.multiply(combined, _KEY_MULTIPLIER), values)
        )
    return combined


def has_repeats(values: pa.Array) -> bool:
    """Whether a value occurs twice in ``values`` (sorting is several times cheaper in Arrow than
    counting distinct values)."""
    if len(values) < 2:
        return False
    ordered = values.sort()
    return bool(pc.any(pc.equal(ordered[1:], ordered[:-1])).as_py())


def last_per_key(table: pa.Table, key: Sequence[str]) -> pa.Table:
    """``table`` with only the last row for each key (a page fetched twice must not duplicate)."""
    return last_per_key_folded(table, key)[0]


def last_per_key_folded(table: pa.Table, key: Sequence[str]) -> tuple[pa.Table, pa.Array | None]:
    """``last_per_key``, with the ``combined_key`` of the rows kept (None: not foldable, or no
    key), which the check for repeats needed anyway."""
    if not key:
        return table, None
    combined = combined_key(table, key)
    if table.num_rows < 2 or (combined is not None and not has_repeats(combined)):
        return table, combined
    numbered = table.append_column(_POSITION, pa.array(range(table.num_rows), pa.int64()))
    last = numbered.group_by(list(key), use_threads=False).aggregate([(_POSITION, "max")])
    if last.num_rows == table.num_rows:
        return table, combined
    positions = last.column(f"{_POSITION}_max")
    kept = positions.take(pc.sort_indices(positions))
    return table.take(kept), None if combined is None else combined.take(kept)


def keys_table(keys: Sequence[tuple[Any, ...]], schema: pa.Schema, key: Sequence[str]) -> pa.Table:
    """The key tuples of ``SinkRun.delete`` as an Arrow table typed like the key columns."""
    for item in keys:
        if not isinstance(item, tuple) or len(item) != len(key):
            raise BadBatchError(
                f"delete() takes tuples of {len(key)} value(s) for the key {tuple(key)!r}, "
                f"got {item!r}"
            )
    columns = {}
    for position, name in enumerate(key):
        values = [item[position] for item in keys]
        try:
            columns[name] = pa.array(values, type=schema.field(name).type)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise BadBatchError(
                f"delete(): the values for key column {name!r} do not fit its type "
                f"{schema.field(name).type}: {exc}"
            ) from exc
    return pa.table(columns)
