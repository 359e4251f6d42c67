"""The fast way from raw JSON objects to a table's path columns: one Arrow struct conversion.

``pa.array(rows, type=struct)`` walks the dicts of a batch in native code, looking up only the
declared keys (nested objects become nested structs), and converts every value with the same
converters as ``pa.array(values, type)`` of one column, which is what the row-by-row builders
(:mod:`.values`) try first. So where the conversion succeeds, each column pulled out of the
struct holds exactly what the column-by-column path builds; where any value does not convert
(text in an integer field, an object where text belongs), it raises and the caller builds that
batch column by column, with the tolerant converters and the rejects.

Timestamps and dates are read as text here and converted afterwards by the same rules
(:func:`typed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from backlog_connector.reports.values import (
    BOOL,
    DATE,
    FLOAT,
    INT,
    INT_LIST,
    STRING,
    TIMESTAMP,
    parse_date,
    to_array,
)

Path = tuple[str, ...]

#: what each column type is read as from the JSON
RAW_TYPES: dict[pa.DataType, pa.DataType] = {
    INT: INT,
    FLOAT: FLOAT,
    STRING: STRING,
    BOOL: BOOL,
    INT_LIST: INT_LIST,
    TIMESTAMP: STRING,
    DATE: STRING,
}
_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError)
_Tree = dict[str, "pa.DataType | _Tree"]


@dataclass(frozen=True)
class StructPlan:
    """The struct type that holds every planned path of a table."""

    type: pa.StructType
    paths: frozenset[Path]

    def covers(self, path: Path, fallback: Path = ()) -> bool:
        """Whether a column reading ``path`` (and ``fallback``) is filled from the struct."""
        return bool(path) and path in self.paths and (not fallback or fallback in self.paths)

    def read(self, rows: Sequence[Any]) -> pa.StructArray | None:
        """The planned fields of ``rows`` (dicts) as one struct array; None when some value
        does not convert (the caller then builds the batch column by column)."""
        try:
            found = pa.array(rows, type=self.type)
        except _ERRORS:
            return None
        return found if isinstance(found, pa.StructArray) else None


def plan(columns: Sequence[tuple[Path, pa.DataType]]) -> StructPlan | None:
    """The plan for columns given as (source path, column type); columns of other types are
    left out. None when nothing is planned or two paths disagree (a field read both as a
    value and as an object, or as two types)."""
    tree: _Tree = {}
    planned: set[Path] = set()
    for path, column_type in columns:
        raw = RAW_TYPES.get(column_type)
        if raw is None or not path:
            continue
        node = tree
        for key in path[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                return None
            node = child
        leaf = node.setdefault(path[-1], raw)
        if isinstance(leaf, dict) or leaf != raw:
            return None
        planned.add(path)
    if not planned:
        return None
    return StructPlan(_struct(tree), frozenset(planned))


def _struct(tree: _Tree) -> pa.StructType:
    return pa.struct(
        [pa.field(k, _struct(v) if isinstance(v, dict) else v) for k, v in tree.items()]
    )


def raw_column(struct: pa.StructArray, path: Path, fallback: Path = ()) -> pa.Array:
    """The values at ``path`` (NULL where it or a parent is missing); where they are NULL, those
    at ``fallback`` if given."""
    found: pa.Array = pc.struct_field(struct, list(path))
    if fallback:
        found = pc.coalesce(found, pc.struct_field(struct, list(fallback)))
    return found


def typed(raw: pa.Array, arrow_type: pa.DataType) -> pa.Array:
    """A raw column (as :data:`RAW_TYPES` reads it) as ``arrow_type``, by the rules of
    :func:`.values.to_array`."""
    if arrow_type == TIMESTAMP:
        try:
            return raw.cast(TIMESTAMP)
        except _ERRORS:
            return to_array(raw.to_pylist(), TIMESTAMP)
    if arrow_type == DATE:
        # one parse per distinct text (the space's zone applies as in parse_date)
        encoded = raw.dictionary_encode()
        days = [parse_date(v) for v in encoded.dictionary.to_pylist()]
        return pa.array(days, DATE).take(encoded.indices)
    return raw
