"""Values that do not parse: counted as the run's warnings and kept in the ``__rejects`` table.

A value of the wrong kind (a timestamp written ``2014/07/15 15:00:00``, ``"abc"`` where a number
belongs) is stored as NULL in its column, so one odd row cannot stop a run; but it is never lost
silently: the batch builders (``columns.TableShape``) note every such value in the
:class:`RejectLog` of the run under way, and the runner writes the log as the ``rejects`` child
table: which table, row and column, the raw value and why it was refused.

The log is found through a context variable, set by :func:`collecting` around the reading of one
run (each run reads on its own thread, so runs side by side never share a log).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa

from backlog_connector.reports.base import TableSpec

#: the child-table suffix of the rejects (``<table>__rejects``)
REJECTS_SUFFIX = "rejects"
#: rejects kept per run (all are counted); the rest only add to the warnings
MAX_KEPT = 10_000
_RAW_CHARS = 2000

REJECT_COLUMNS = (
    pa.field("table_suffix", pa.string()),
    pa.field("row_key", pa.string()),
    pa.field("column_name", pa.string()),
    pa.field("raw_value", pa.string()),
    pa.field("reason", pa.string()),
)


@dataclass(frozen=True)
class Reject:
    """One refused value. ``parent`` holds the main table's key of the row it belongs to."""

    table_suffix: str
    parent: tuple[Any, ...]
    row_key: str
    column: str
    raw: str
    reason: str


@dataclass
class RejectLog:
    """The refused values of one run: every one counted, the first :data:`MAX_KEPT` kept."""

    limit: int = MAX_KEPT
    count: int = 0
    kept: list[Reject] = field(default_factory=list)

    def add(self, reject: Reject) -> None:
        """Count ``reject``; keep it while the log has room."""
        self.count += 1
        if len(self.kept) < self.limit:
            self.kept.append(reject)


_current: contextvars.ContextVar[RejectLog | None] = contextvars.ContextVar(
    "backlog_connector_rejects", default=None
)


@contextmanager
def collecting(log: RejectLog | None = None) -> Iterator[RejectLog]:
    """Collect the rejects of the batches built inside the block (of this thread/context)."""
    log = log if log is not None else RejectLog()
    token = _current.set(log)
    try:
        yield log
    finally:
        _current.reset(token)


def current() -> RejectLog | None:
    """The log of the run being read here, if any."""
    return _current.get()


def raw_text(value: Any) -> str:
    """A refused value as text for the ``raw_value`` column (JSON for non-strings)."""
    text = value if isinstance(value, str) else orjson.dumps(value, default=str).decode()
    return text if len(text) <= _RAW_CHARS else text[:_RAW_CHARS] + "..."


def rejects_spec(main: TableSpec) -> TableSpec:
    """The ``rejects`` child of a report whose main table is ``main``: the main table's key
    columns (so a merge run replaces a row's rejects with the row), then where and what."""
    key_fields = [main.schema.field(k) for k in main.key if k != "_space"]
    schema = pa.schema([*key_fields, *REJECT_COLUMNS, pa.field("_space", pa.string())])
    return TableSpec(
        REJECTS_SUFFIX,
        schema,
        key=(),
        description="values that did not parse (stored as NULL): table, row, column, raw value",
        parent_key=tuple(main.key),
    )


def rejects_batch(log: RejectLog, spec: TableSpec, space: str) -> pa.RecordBatch:
    """The kept rejects of ``log`` as a batch of ``spec`` (from :func:`rejects_spec`)."""
    rows = log.kept
    key_names = [f.name for f in spec.schema if f.name in spec.parent_key and f.name != "_space"]
    positions = [spec.parent_key.index(name) for name in key_names]
    arrays: list[pa.Array] = []
    for name, position in zip(key_names, positions, strict=True):
        arrays.append(
            _safe_array(
                [r.parent[position] if position < len(r.parent) else None for r in rows],
                spec.schema.field(name).type,
            )
        )
    arrays += [
        pa.array([r.table_suffix for r in rows], pa.string()),
        pa.array([r.row_key for r in rows], pa.string()),
        pa.array([r.column for r in rows], pa.string()),
        pa.array([r.raw for r in rows], pa.string()),
        pa.array([r.reason for r in rows], pa.string()),
    ]
    arrays.append(pa.repeat(pa.scalar(space, pa.string()), len(rows)))
    return pa.RecordBatch.from_arrays(arrays, schema=spec.schema)


def _safe_array(values: Sequence[Any], arrow_type: pa.DataType) -> pa.Array:
    try:
        return pa.array(values, arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pa.array([None] * len(values), arrow_type)
