"""Issue batches built from natively parsed pages (:mod:`backlog_connector.native`).

The pages of a batch are parsed from their JSON bytes on the read-ahead thread, and their
columns are filled in C, neither holding the GIL nor making a Python object per value. What C
fills is what the Python path reads: the plain fields (:class:`.columns.Column` paths), the
lists of named items (joined names, link tables), the counts and the custom fields (wide and
long). The typed conversions that follow (timestamps, dates, rejects) are the Python path's own
(:func:`.struct_columns.typed`, :meth:`.TableShape.note_rejects`).

C answers None for anything it would not build exactly as the Python path does; that batch is
then built the Python way from the same bytes, so a table is the same whichever path built it
(``tests/reports/test_native_batches_match_python_batches.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import orjson
import pyarrow as pa

from backlog_connector.native import pages as native
from backlog_connector.reports import list_items
from backlog_connector.reports.base import TableBatch
from backlog_connector.reports.batching import BATCH_ROWS, BatchBuffer, ChildTable
from backlog_connector.reports.columns import Row, TableShape
from backlog_connector.reports.custom_fields import VALUES_TABLE, CustomFieldColumn
from backlog_connector.reports.struct_columns import typed
from backlog_connector.reports.values import DATE, FLOAT, INT, INT_LIST, STRING, TIMESTAMP

#: the C builder of each column type: 0 integers, 1 numbers, 2 text
_KINDS = {INT: 0, FLOAT: 1, STRING: 2, TIMESTAMP: 2, DATE: 2}
_RAW = {0: INT, 1: FLOAT, 2: STRING}
#: derived columns of the issues table C knows: joined item names, list lengths
NAMES = {"category_names": "category", "version_names": "versions", "milestone_names": "milestone"}
COUNTS = {
    "attachment_count": "attachments",
    "shared_file_count": "sharedFiles",
    "star_count": "stars",
}
#: the link tables among the issues' children: table suffix -> (list key, item name)
LINKS = {
    "categories": ("category", "category"),
    "versions": ("versions", "version"),
    "milestones": ("milestone", "milestone"),
}
CUSTOM_FIELDS = "customFields"
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_LONG = ("issue_id", "field_id", "field_name", "field_type_id", "value_text", "value_number",
         "value_date", "item_names", "other_value")  # fmt: skip
_LONG_TYPES = (INT, INT, STRING, INT, STRING, FLOAT, STRING, STRING, STRING)


def _array(buffers: Sequence[Any], arrow_type: pa.DataType) -> pa.Array:
    length, nulls, bits, data, offsets = buffers
    validity = pa.py_buffer(bits) if bits is not None else None
    if offsets is not None:
        parts = [validity, pa.py_buffer(offsets), pa.py_buffer(data)]
    else:
        parts = [validity, pa.py_buffer(data)]
    return pa.Array.from_buffers(arrow_type, length, parts, null_count=nulls)


def _list(buffers: Sequence[Any], values: pa.Array, arrow_type: pa.DataType) -> pa.Array:
    length, nulls, bits, offsets = buffers[:4]
    validity = pa.py_buffer(bits) if bits is not None else None
    return pa.Array.from_buffers(
        arrow_type, length, [validity, pa.py_buffer(offsets)], null_count=nulls, children=[values]
    )


#: where a column of the main table comes from in C's answer: ("field", n), ("names", n),
#: ("count", n) or ("wide", n)
Source = tuple[str, int]


class NativeIssues:
    """The native build of one run's issues batches (its shape, children and custom fields)."""

    def __init__(
        self,
        shape: TableShape,
        children: Sequence[ChildTable],
        plan: Any,
        sources: Sequence[Source],
        list_keys: Sequence[str],
    ) -> None:
        self.shape = shape
        self.children = tuple(children)
        self._plan = plan
        self._sources = tuple(sources)
        self._list_keys = tuple(list_keys)

    @classmethod
    def build(
        cls,
        shape: TableShape,
        children: Sequence[ChildTable],
        planned: Sequence[CustomFieldColumn],
    ) -> NativeIssues | None:
        """The native build of ``shape`` (the issues table with the run's custom-field
        columns ``planned``), or None when the module is not built or some column or child is
        not one C knows."""
        if native is None:
            return None
        tops = sorted(shape.known_fields | {CUSTOM_FIELDS, "id"})
        top = {name: i for i, name in enumerate(tops)}
        subs: list[str] = []
        fields: list[tuple[int, int, int, int, int]] = []
        lists: list[str] = []
        counts: list[str] = []
        wide = {c.name: n for n, c in enumerate(planned)}
        sources: list[Source] = []

        def path_of(path: tuple[str, ...]) -> tuple[int, int] | None:
            if not path or len(path) > 2 or path[0] not in top:
                return None
            if len(path) == 1:
                return top[path[0]], -1
            subs.append(path[1])
            return top[path[0]], len(subs) - 1

        for column in shape.columns:
            if column.path:
                primary = path_of(column.path)
                fallback = path_of(column.fallback) if column.fallback else (-1, -1)
                kind = _KINDS.get(column.type)
                if primary is None or fallback is None or kind is None:
                    return None
                fields.append((*primary, *fallback, kind))
                sources.append(("field", len(fields) - 1))
            elif column.name in NAMES:
                lists.append(NAMES[column.name])
                sources.append(("names", len(lists) - 1))
            elif column.name in COUNTS:
                counts.append(COUNTS[column.name])
                sources.append(("count", len(counts) - 1))
            elif column.name in wide:
                sources.append(("wide", wide[column.name]))
            else:
                return None
        for child in children:
            suffix = child.shape.suffix
            if suffix in LINKS:
                if LINKS[suffix][0] not in lists:
                    lists.append(LINKS[suffix][0])
            elif child.shape is not VALUES_TABLE:
                return None
        if not all(name in top for name in (*lists, *counts)) or "id" not in shape.known_fields:
            return None
        slots = [(fid, n) for n, c in enumerate(planned) for fid in c.field_ids]
        if not all(_INT32[0] <= c.type_id <= _INT32[1] for c in planned) or not all(
            _INT64[0] <= fid <= _INT64[1] for fid, _n in slots
        ):
            return None  # ids from the space that C cannot hold as they are
        plan = native.make_plan(
            tops,
            subs,
            fields,
            [top[k] for k in lists],
            [top[k] for k in counts],
            top[CUSTOM_FIELDS],
            top["id"],
            slots,
            [c.type_id for c in planned],
        )
        return cls(shape, children, plan, sources, lists)

    def batches(self, pages: Sequence[Any], space: str) -> list[TableBatch] | None:
        """The batches of ``pages`` (natively parsed, all their rows kept): the main table's,
        then each child's that has rows; None when C left them to the Python path (before any
        reject is noted, so that the Python path notes each once)."""
        assert native is not None
        answer = native.extract(pages, self._plan)
        if answer is None:
            return None
        rows, fields, lists, counts, wide, long, item_ids = answer
        item_lists = [
            _list(
                buffers,
                pa.StructArray.from_arrays(
                    [_array(buffers[4], INT), _array(buffers[5], STRING)],
                    fields=list(list_items.ITEM),
                ),
                list_items.ITEMS,
            )
            for buffers in lists
        ]
        main = self._main_columns(fields, item_lists, counts, wide)
        if main is None:
            return None
        raws, arrays = main
        ids = arrays[[c.name for c in self.shape.columns].index("id")]
        children: list[tuple[ChildTable, dict[str, Any]]] = []
        for child in self.children:
            if child.shape.suffix in LINKS:
                key, what = LINKS[child.shape.suffix]
                found = list_items.link_columns(
                    ids, item_lists[self._list_keys.index(key)], "issue_id", what
                )
                if found is None:
                    return None
                children.append((child, found))
            else:
                values: dict[str, Any] = {
                    name: _array(buffers, arrow_type)
                    for name, buffers, arrow_type in zip(_LONG, long, _LONG_TYPES, strict=True)
                }
                values["item_ids"] = _list(item_ids, _array(item_ids[4], INT), INT_LIST)
                children.append((child, values))

        self.shape.note_rejects(raws, arrays)
        if self.shape.extra:
            arrays.append(pa.nulls(rows, STRING))  # C gives up on any row with extra fields
        arrays.append(pa.repeat(pa.scalar(space, STRING), rows))
        out = [
            TableBatch(
                self.shape.suffix, pa.RecordBatch.from_arrays(arrays, schema=self.shape.schema)
            )
        ]
        for child, values in children:
            count = len(next(iter(values.values())))
            if count:
                batch = child.shape.batch_of_columns(values, count, space)
                out.append(TableBatch(child.shape.suffix, batch))
        return out

    def _main_columns(
        self,
        fields: Sequence[Any],
        item_lists: Sequence[pa.Array],
        counts: Sequence[Any],
        wide: Sequence[Any],
    ) -> tuple[list[pa.Array], list[pa.Array]] | None:
        """The main table's declared columns: raw (as read) and typed; None when one cannot
        be built as the Python path builds it."""
        raws: list[pa.Array] = []
        arrays: list[pa.Array] = []
        for column, (source, n) in zip(self.shape.columns, self._sources, strict=True):
            if source == "field":
                raw = _array(fields[n], _RAW[_KINDS[column.type]])
                array = typed(raw, column.type)
            elif source == "names":
                joined = list_items.joined_names(item_lists[n])
                if joined is None:
                    return None
                raw = array = joined
            elif source == "count":
                raw = array = _array(counts[n], INT)
            else:
                raw = _array(wide[n], FLOAT if column.type == FLOAT else STRING)
                array = typed(raw, column.type)
            raws.append(raw)
            arrays.append(array)
        return raws, arrays


def parse(body: bytes) -> Any:
    """``body`` (a page of issues) parsed natively, or None where C leaves it to orjson."""
    assert native is not None
    return native.parse(body)


def row_loader(page: Any) -> Callable[[int], Row]:
    """A page's row ``i`` as the Python path reads it (its JSON object)."""

    def row(i: int) -> Row:
        found: Row = orjson.loads(page.row(i))
        return found

    return row


def rows_of(page: Any) -> list[Row]:
    """A natively parsed page's rows as the Python path reads them."""
    row = row_loader(page)
    return [row(i) for i in range(len(page))]


class NativeBuffer:
    """Collects natively parsed pages into batches of ``limit`` rows, as :class:`BatchBuffer`
    does rows; a batch C leaves to Python is built by ``fallback`` from the same pages.

    A batch holds whole pages: ``limit`` rows where it is a multiple of the page size (as the
    report's are), else the first whole page past it. The tables do not depend on it."""

    def __init__(self, build: NativeIssues, fallback: BatchBuffer, *, space: str,
                 limit: int = BATCH_ROWS) -> None:  # fmt: skip
        self.build = build
        self.fallback = fallback
        self.space = space
        self.limit = limit
        self.native_batches = 0
        self.python_batches = 0
        self._pages: list[Any] = []
        self._rows = 0

    def add(self, page: Any) -> Iterator[TableBatch]:
        """Buffer ``page``; yield a batch once the buffer holds ``limit`` rows or more."""
        self._pages.append(page)
        self._rows += len(page)
        if self._rows >= self.limit:
            yield from self.flush()

    def flush(self) -> Iterator[TableBatch]:
        """Yield the batches of what is buffered (nothing if the buffer is empty)."""
        if not self._pages:
            return
        pages, self._pages, self._rows = self._pages, [], 0
        built = self.build.batches(pages, self.space)
        if built is not None:
            self.native_batches += 1
            yield from built
            return
        self.python_batches += 1
        for page in pages:
            yield from self.fallback.add(rows_of(page))
        yield from self.fallback.flush()
