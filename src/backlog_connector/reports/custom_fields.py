"""Issue custom fields: one typed column per field, and the long table of their values.

The columns of a run are planned from the field definitions of the chosen projects before the
first issue is read, so every batch of a run has the same schema. Fields of several projects
that share a name and a value type share one column (an issue belongs to one project, so they
never clash); a name used with two value types gets the field id appended to keep it unique.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from backlog_connector.reports.columns import Column, Lookup, Row, Rows, TableShape, field
from backlog_connector.reports.naming import sanitize
from backlog_connector.reports.values import DATE, FLOAT, INT, INT_LIST, STRING

TYPE_NAMES = {
    1: "Text",
    2: "TextArea",
    3: "Numeric",
    4: "Date",
    5: "SingleList",
    6: "MultipleList",
    7: "CheckBox",
    8: "Radio",
}
NUMERIC, DATE_TYPE = 3, 4
LIST_TYPES = frozenset({5, 6, 7, 8})
PREFIX = "cf_"


def arrow_type(type_id: Any) -> pa.DataType:
    """Numbers are DOUBLE, dates DATE, everything else (text, list names) VARCHAR."""
    if type_id == NUMERIC:
        return FLOAT
    if type_id == DATE_TYPE:
        return DATE
    return STRING


@dataclass(frozen=True)
class CustomFieldColumn:
    """A custom-field column of the issues table and the field ids whose values fill it."""

    name: str
    type_id: int
    field_ids: tuple[int, ...]


Slots = Mapping[Any, tuple[int, int]]  # field id -> (wide column number, field type)
_SCAN = "custom_fields"


def table_columns(planned: Sequence[CustomFieldColumn]) -> list[Column]:
    """The issues-table columns of ``planned``. One pass over each batch's ``customFields``
    fills all of them and the long table (a pass per column would read every issue's entries
    once per field)."""
    slots: Slots = {fid: (n, c.type_id) for n, c in enumerate(planned) for fid in c.field_ids}

    def getter(n: int) -> Callable[[Lookup], list[Any]]:
        def get(lookup: Lookup) -> list[Any]:
            wide: list[list[Any]] = lookup.memo(_SCAN, lambda rows: scan(rows, slots))[0]
            return wide[n]

        return get

    return [Column(c.name, arrow_type(c.type_id), getter(n)) for n, c in enumerate(planned)]


def plan_columns(definitions: Sequence[Row]) -> list[CustomFieldColumn]:
    """Column names for custom-field definitions: ``cf_`` + the sanitised field name
    (``cf_`` + id when nothing of the name is usable), unique and stable from run to run."""
    groups: dict[tuple[str, pa.DataType], list[Row]] = {}
    for definition in sorted(definitions, key=lambda d: _int(d.get("id"))):
        if _int(definition.get("id")) < 0:
            continue
        base = sanitize(str(definition.get("name") or "")) or str(definition["id"])
        key = (base, arrow_type(definition.get("typeId")))
        groups.setdefault(key, []).append(definition)
    taken: set[str] = set()
    planned: list[CustomFieldColumn] = []
    for (base, _type), members in groups.items():
        first_id = _int(members[0].get("id"))
        name = PREFIX + base
        if name in taken:
            name = f"{name}_{first_id}"
        taken.add(name)
        planned.append(
            CustomFieldColumn(
                name, _int(members[0].get("typeId")), tuple(_int(m.get("id")) for m in members)
            )
        )
    return planned


def column_names(definitions: Sequence[Row]) -> dict[int, str]:
    """Field id -> the issues column that carries its values."""
    return {fid: c.name for c in plan_columns(definitions) for fid in c.field_ids}


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def _items(value: Any) -> list[Row]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def _names(items: list[Row]) -> str | None:
    names = [str(name) for i in items if (name := i.get("name")) is not None]
    return ", ".join(names) if names else None


VALUES_TABLE = TableShape(
    "custom_fields",
    (
        field("issueId", INT),
        field("fieldId", INT),
        field("fieldName", STRING),
        field("fieldTypeId", INT),
        field("valueText", STRING),
        field("valueNumber", FLOAT),
        field("valueDate", DATE),
        field("itemIds", INT_LIST),
        field("itemNames", STRING),
        field("otherValue", STRING),
    ),
    key=("issue_id", "field_id"),
    description="one row per (issue, custom field) that has a value",
    parent_key=("issue_id",),
)


def value_columns(lookup: Lookup) -> dict[str, list[Any]]:
    """The long table of a batch, column by column (shared with the wide columns' pass)."""
    long: dict[str, list[Any]] = lookup.memo(_SCAN, lambda rows: scan(rows, {}))[1]
    return long


def scan(rows: Rows, slots: Slots) -> tuple[list[list[Any]], dict[str, list[Any]]]:
    """One pass over the ``customFields`` of ``rows``: the wide columns of ``slots`` (text,
    number, date string, or item names joined) and the long table's columns (set values
    only)."""
    width = max((n for n, _type in slots.values()), default=-1) + 1
    wide: list[list[Any]] = [[None] * len(rows) for _ in range(width)]
    names = [c.name for c in VALUES_TABLE.columns]
    long: dict[str, list[Any]] = {name: [] for name in names}
    (issue_id_, field_id_, field_name_, type_id_, text_, number_, date_, item_ids_,
     item_names_, other_) = [long[name].append for name in names]  # fmt: skip
    for r, issue in enumerate(rows):
        entries = issue.get("customFields")
        if not isinstance(entries, list):
            continue
        issue_id = issue.get("id")
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            value = entry.get("value")
            type_id = entry.get("fieldTypeId")
            field_id = entry.get("id")
            slot = slots.get(field_id)
            listed = type_id in LIST_TYPES or isinstance(value, dict | list)
            items: list[Row] = []
            shown = value
            if listed or (slot is not None and slot[1] in LIST_TYPES):
                items = _items(value)
                shown = _names(items)
            other = entry.get("otherValue")
            if other and isinstance(other, str) and listed:
                # checkbox/radio "other" text: a value like the items (alone if none is ticked)
                shown = f"{shown}, {other}" if shown else other
            if slot is not None:
                wide[slot[0]][r] = shown
            if (value is None or value == "" or value == []) and not other:
                continue
            issue_id_(issue_id)
            field_id_(field_id)
            field_name_(entry.get("name"))
            type_id_(type_id)
            other_(other)
            if listed:
                item_ids_([i.get("id") for i in items])
                item_names_(shown)
                text_(None)
                number_(None)
                date_(None)
            else:
                item_ids_(None)
                item_names_(None)
                text_(value if type_id not in (NUMERIC, DATE_TYPE) else None)
                number_(value if type_id == NUMERIC else None)
                date_(value if type_id == DATE_TYPE else None)
    return wide, long
