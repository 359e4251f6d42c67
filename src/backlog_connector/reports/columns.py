"""Declared columns and the column-wise building of Arrow batches from Backlog's JSON objects.

A ``Column`` knows its name, its Arrow type and how to pull its values out of a list of raw
objects (the dicts of one or more pages). Values are gathered a column at a time with list
comprehensions over the raw dicts, never through a flattened dict per row: that keeps the
issues read path fast. Nested objects are looked up once per batch and shared by the columns
under them (``status.id``, ``status.name``, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson
import pyarrow as pa

from backlog_connector.reports import fast_path, list_items, rejects
from backlog_connector.reports.base import TableSpec
from backlog_connector.reports.naming import column_name
from backlog_connector.reports.struct_columns import StructPlan, plan, raw_column, typed
from backlog_connector.reports.values import STRING, describe_type, refused, to_array

Row = dict[str, Any]
Rows = Sequence[Row]
_EMPTY: Row = {}

SPACE_COLUMN = "_space"
#: the JSON of a row's top-level fields that no declared column reads (new Backlog fields)
EXTRA_COLUMN = "_extra"
#: values not worth an ``_extra`` entry (nothing is lost by leaving them out)
_NOTHING: tuple[Any, ...] = (None, [], {})


class Lookup:
    """Per-batch cache of nested objects, keyed by path prefix, shared by the batch's columns."""

    def __init__(self, rows: Rows) -> None:
        self.rows = rows
        self._objects: dict[tuple[str, ...], list[Row]] = {(): list(rows)}
        self._memo: dict[str, Any] = {}

    def objects(self, prefix: tuple[str, ...]) -> list[Row]:
        """The nested object at ``prefix`` for every row ({} where absent or not an object)."""
        found = self._objects.get(prefix)
        if found is None:
            key = prefix[-1]
            found = [
                o if isinstance(o := parent.get(key), dict) else _EMPTY
                for parent in self.objects(prefix[:-1])
            ]
            self._objects[prefix] = found
        return found

    def memo(self, name: str, compute: Callable[[Rows], Any]) -> Any:
        """``compute(rows)``, worked out once per batch and shared by the columns that ask."""
        if name not in self._memo:
            self._memo[name] = compute(self.rows)
        return self._memo[name]

    def values(self, path: tuple[str, ...]) -> list[Any]:
        """The value at ``path`` for every row (None where missing)."""
        key = path[-1]
        return [o.get(key) for o in self.objects(path[:-1])]

    def items(self, path: tuple[str, ...]) -> pa.ListArray | None:
        """The lists of named objects at ``path`` as one Arrow array (see
        :mod:`.list_items`), once per batch; None where the fast way does not apply."""
        if not fast_path.enabled():
            return None
        found: pa.ListArray | None = self.memo(
            "items:" + ".".join(path), lambda _rows: list_items.items(self.values(path))
        )
        return found


#: a column's raw values for a batch: Python values, or an Arrow array already of the column's
#: type (built natively)
Getter = Callable[[Lookup], Sequence[Any] | pa.Array]


@dataclass(frozen=True)
class Column:
    """One declared column: its name, its Arrow type and where its values come from."""

    name: str
    type: pa.DataType
    get: Getter
    #: the top-level fields of the raw object this column reads (not repeated in ``_extra``)
    sources: tuple[str, ...] = ()
    #: the source path of a plain field (read by the batch's struct conversion), and the
    #: path read where it is NULL
    path: tuple[str, ...] = ()
    fallback: tuple[str, ...] = ()

    def array(self, lookup: Lookup) -> pa.Array:
        """This column's typed values for the rows of ``lookup``."""
        return to_array(self.get(lookup), self.type)


def field(
    path: str, arrow_type: pa.DataType, *, name: str | None = None, fallback: str | None = None
) -> Column:
    """A column read from a dotted source path, named by the flattening rule
    (``status.name`` -> ``status_name``). ``fallback`` is read where ``path`` is missing
    or null (``dueDate`` falls back to the legacy ``limitDate``)."""
    keys = tuple(path.split("."))
    if fallback is None:

        def get(lookup: Lookup) -> list[Any]:
            return lookup.values(keys)
    else:
        alt = tuple(fallback.split("."))

        def get(lookup: Lookup) -> list[Any]:
            return [
                a if a is not None else b
                for a, b in zip(lookup.values(keys), lookup.values(alt), strict=True)
            ]

    sources = (keys[0],) if fallback is None else (keys[0], fallback.split(".")[0])
    alt_path = tuple(fallback.split(".")) if fallback is not None else ()
    return Column(name or column_name(path), arrow_type, get, sources, keys, alt_path)


def derived(
    name: str, arrow_type: pa.DataType, get: Getter, *, sources: Sequence[str] = ()
) -> Column:
    """A column computed from the raw rows (counts, joined names, custom fields, ...);
    ``sources`` names the top-level fields it reads."""
    return Column(name, arrow_type, get, tuple(sources))


def count_of(path: str) -> Getter:
    """Length of the list at ``path`` (0 when absent)."""
    keys = tuple(path.split("."))
    return lambda lookup: [len(v) if isinstance(v, list) else 0 for v in lookup.values(keys)]


def names_of(path: str, key: str = "name") -> Getter:
    """The ``key`` of each object in the list at ``path``, joined with ", " (None if empty)."""
    keys = tuple(path.split("."))

    def get(lookup: Lookup) -> Sequence[str | None] | pa.Array:
        lists = lookup.items(keys) if key == "name" else None
        joined = list_items.joined_names(lists) if lists is not None else None
        if joined is not None:
            return joined
        return [join_names(v, key) for v in lookup.values(keys)]

    return get


def join_names(items: Any, key: str = "name") -> str | None:
    """``[{"name": "a"}, {"name": "b"}]`` -> ``"a, b"``; None for an empty or missing list."""
    if not isinstance(items, list):
        return None
    names = [str(n) for i in items if isinstance(i, dict) and (n := i.get(key)) is not None]
    return ", ".join(names) if names else None


def user_fields(prefix: str) -> list[Column]:
    """The columns of a nested Backlog user: numeric id, login id (``userId``) and name."""
    return [
        field(f"{prefix}.id", pa.int64()),
        field(f"{prefix}.userId", pa.string()),
        field(f"{prefix}.name", pa.string()),
    ]


@dataclass(frozen=True)
class TableShape:
    """A table's columns plus the facts of its ``TableSpec``; builds its record batches."""

    suffix: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str = ""
    parent_key: tuple[str, ...] = ()
    #: keep unknown top-level fields as JSON in ``_extra`` (tables of whole Backlog objects)
    extra: bool = False
    #: top-level fields read by derived columns that declare no ``sources``
    known: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns] + ([EXTRA_COLUMN] if self.extra else [])
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"table {self.suffix or '(main)'} declares {duplicates} twice")
        missing = [k for k in self.key if k not in names]
        if missing:
            raise ValueError(f"key columns {missing} are not declared")

    @property
    def schema(self) -> pa.Schema:
        """Declared columns, then ``_extra`` (if kept) and ``_space``."""
        extra = [pa.field(EXTRA_COLUMN, STRING)] if self.extra else []
        return pa.schema(
            [pa.field(c.name, c.type) for c in self.columns]
            + extra
            + [pa.field(SPACE_COLUMN, STRING)]
        )

    @cached_property
    def struct_plan(self) -> StructPlan | None:
        """The struct conversion of the plain fields (see :mod:`.struct_columns`)."""
        paths = [(p, c.type) for c in self.columns for p in (c.path, c.fallback) if p]
        return plan(paths)

    @property
    def known_fields(self) -> frozenset[str]:
        """Top-level fields some column reads: everything else goes to ``_extra``."""
        return self.known.union(s for c in self.columns for s in c.sources)

    def spec(self) -> TableSpec:
        """The contract's view of this table."""
        return TableSpec(self.suffix, self.schema, self.key, self.description, self.parent_key)

    def with_columns(self, extra: Sequence[Column]) -> TableShape:
        """The same table with ``extra`` columns appended (a run's custom fields)."""
        return TableShape(
            self.suffix,
            (*self.columns, *extra),
            self.key,
            self.description,
            self.parent_key,
            self.extra,
            self.known,
        )

    def batch_of_columns(
        self, values: Mapping[str, Sequence[Any] | pa.Array], rows: int, space: str
    ) -> pa.RecordBatch:
        """A record batch from values gathered column by column (a missing column is NULL)."""
        nulls = [None] * rows
        raws = [values.get(c.name, nulls) for c in self.columns]
        arrays = [to_array(raw, c.type) for raw, c in zip(raws, self.columns, strict=True)]
        self.note_rejects(raws, arrays)
        if self.extra:
            arrays.append(pa.nulls(rows, STRING))
        arrays.append(pa.repeat(pa.scalar(space, STRING), rows))
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def batch(self, rows: Rows | Lookup, space: str) -> pa.RecordBatch:
        """A record batch of ``rows`` (raw JSON objects, or their ``Lookup``) with
        ``_space`` = ``space``."""
        lookup = rows if isinstance(rows, Lookup) else Lookup(rows)
        plan = self.struct_plan if fast_path.enabled() else None
        struct = plan.read(lookup.rows) if plan is not None else None
        raws: list[Sequence[Any] | pa.Array] = []
        arrays: list[pa.Array] = []
        for c in self.columns:
            if struct is not None and plan is not None and plan.covers(c.path, c.fallback):
                raw = raw_column(struct, c.path, c.fallback)
                raws.append(raw)
                arrays.append(typed(raw, c.type))
            else:
                values = c.get(lookup)
                raws.append(values)
                arrays.append(to_array(values, c.type))
        self.note_rejects(raws, arrays)
        if self.extra:
            arrays.append(self._extra(lookup.rows))
        arrays.append(pa.repeat(pa.scalar(space, STRING), len(lookup.rows)))
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def _extra(self, rows: Rows) -> pa.Array:
        known = self.known_fields
        values: list[str | None] = []
        for row in rows:
            if not row.keys() - known:
                values.append(None)  # the common case, found without a loop in Python
                continue
            unknown = {k: v for k, v in row.items() if k not in known and v not in _NOTHING}
            values.append(orjson.dumps(unknown).decode() if unknown else None)
        return pa.array(values, STRING)

    def note_rejects(
        self, raws: Sequence[Sequence[Any] | pa.Array], arrays: Sequence[pa.Array]
    ) -> None:
        """Note in the run's reject log every value of ``raws`` (a column's raw values, Python
        or Arrow) that was present but became NULL in ``arrays`` (the built columns)."""
        log = rejects.current()
        if log is None:
            return
        found = [
            (column, positions)
            for column, raw, array in zip(self.columns, raws, arrays, strict=True)
            if (positions := refused(raw, array))
        ]
        if not found:
            return
        names = [c.name for c in self.columns]
        key_arrays = [arrays[names.index(k)] for k in self.key]
        parent_names = self.parent_key or (self.key if not self.suffix else ())
        parent_arrays = [arrays[names.index(k)] for k in parent_names if k in names]
        for column, positions in found:
            raw = raws[self.columns.index(column)]
            if isinstance(raw, pa.Array):
                raw = raw.to_pylist()
            for i in positions:
                key = {k: a[i].as_py() for k, a in zip(self.key, key_arrays, strict=True)}
                log.add(
                    rejects.Reject(
                        table_suffix=self.suffix,
                        parent=tuple(a[i].as_py() for a in parent_arrays),
                        row_key=orjson.dumps(key, default=str).decode(),
                        column=column.name,
                        raw=rejects.raw_text(raw[i]),
                        reason=f"not {describe_type(column.type)}",
                    )
                )
