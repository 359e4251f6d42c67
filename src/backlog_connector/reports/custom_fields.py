"""Issue custom fields: one typed column per field, and the long table of their values.

The columns of a run are planned from the field definitions of the chosen projects before the
first issue is read, so every batch of a run has the same schema. Fields of several projects
that share a name and a value type share one column (an issue belongs to one project, so they
never clash); a name used with two value types gets the field id appended to keep it unique.
"""

from __future__ import annotations

from collections.abc import Sequence
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

    def column(self) -> Column:
        """The table column: for each issue the value of whichever of ``field_ids`` it has."""
        ids = self.field_ids
        type_id = self.type_id

        def get(lookup: Lookup) -> list[Any]:
            maps: list[dict[Any, Row]] = lookup.memo("custom_fields", entries_by_id)
            out: list[Any] = []
            for entries in maps:
                entry = None
                for field_id in ids:
                    entry = entries.get(field_id)
                    if entry is not None:
                        break
                out.append(None if entry is None else display_value(entry, type_id))
            return out

        return Column(self.name, arrow_type(type_id), get)


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


def entries_by_id(rows: Rows) -> list[dict[Any, Row]]:
    """Per issue: its ``customFields`` entries keyed by field id."""
    return [
        {e.get("id"): e for e in cf if isinstance(e, dict)}
        if isinstance(cf := row.get("customFields"), list)
        else {}
        for row in rows
    ]


def _items(value: Any) -> list[Row]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def display_value(entry: Row, type_id: int) -> Any:
    """The value for the issue's column: text, number, date string, or item names joined."""
    value = entry.get("value")
    if type_id in LIST_TYPES or isinstance(value, dict | list):
        names = [str(i.get("name")) for i in _items(value) if i.get("name") is not None]
        return ", ".join(names) if names else None
    return value


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


def value_rows(issues: Rows) -> list[Row]:
    """The long table: each set custom-field value of ``issues`` as its own row."""
    rows: list[Row] = []
    for issue in issues:
        entries = issue.get("customFields")
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            row = _value_row(issue.get("id"), entry)
            if row is not None:
                rows.append(row)
    return rows


def _value_row(issue_id: Any, entry: Row) -> Row | None:
    value = entry.get("value")
    other = entry.get("otherValue")
    type_id = entry.get("fieldTypeId")
    items = _items(value)
    if value in (None, "", []) and not other:
        return None
    row: Row = {
        "issueId": issue_id,
        "fieldId": entry.get("id"),
        "fieldName": entry.get("name"),
        "fieldTypeId": type_id,
        "otherValue": other,
    }
    if type_id in LIST_TYPES or isinstance(value, dict | list):
        row["itemIds"] = [i.get("id") for i in items]
        row["itemNames"] = ", ".join(str(i.get("name")) for i in items) or None
    elif type_id == NUMERIC:
        row["valueNumber"] = value
    elif type_id == DATE_TYPE:
        row["valueDate"] = value
    else:
        row["valueText"] = value
    return row
