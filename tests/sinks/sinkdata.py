"""Table specs and Arrow batches shaped like the issues report, for the sink tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa

from backlog_connector.reports.base import TableBatch, TableSpec
from backlog_connector.sinks.duckdb import DuckDBWarehouse

SPACE = "acme.backlog.com"
T0 = datetime(2024, 1, 1, 9, 30, tzinfo=UTC)

ISSUE_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("summary", pa.string()),
        ("updated", pa.timestamp("us", tz="UTC")),
        ("due_date", pa.date32()),
        ("_space", pa.string()),
    ]
)
CF_SCHEMA = pa.schema(
    [
        ("issue_id", pa.int64()),
        ("field_id", pa.int64()),
        ("value", pa.string()),
        ("_space", pa.string()),
    ]
)
MAIN = TableSpec("", ISSUE_SCHEMA, key=("id",))
CHILD = TableSpec(
    "custom_fields", CF_SCHEMA, key=("issue_id", "field_id"), parent_key=("issue_id",)
)
TABLES = (MAIN, CHILD)


def issues(ids: Iterable[int], summary: str = "s", **extra: pa.Array) -> TableBatch:
    """A main-table batch: one row per id; ``extra`` adds (drift) columns."""
    ids = list(ids)
    columns: dict[str, Any] = {
        "id": pa.array(ids, pa.int64()),
        "summary": pa.array([f"{summary}{i}" for i in ids]),
        "updated": pa.array([T0 + timedelta(minutes=i) for i in ids], pa.timestamp("us", "UTC")),
        "due_date": pa.array([date(2024, 2, 1) + timedelta(days=i) for i in ids], pa.date32()),
        "_space": pa.array([SPACE] * len(ids)),
    }
    columns.update(extra)
    return TableBatch("", pa.RecordBatch.from_pydict(columns))


def custom_fields(pairs: Sequence[tuple[int, int]], value: str = "v") -> TableBatch:
    """A child batch: one row per (issue_id, field_id)."""
    return TableBatch(
        "custom_fields",
        pa.RecordBatch.from_pydict(
            {
                "issue_id": pa.array([p[0] for p in pairs], pa.int64()),
                "field_id": pa.array([p[1] for p in pairs], pa.int64()),
                "value": pa.array([f"{value}{p[0]}.{p[1]}" for p in pairs]),
                "_space": pa.array([SPACE] * len(pairs)),
            },
        ),
    )


def rows(warehouse: DuckDBWarehouse, table: str, *columns: str) -> list[tuple[Any, ...]]:
    """All rows of ``table`` (only ``columns`` if given), sorted."""
    data = warehouse.preview(table, 1_000_000)
    names = list(columns) or data.column_names
    picked = data.select(names).to_pylist()
    return sorted(tuple(r[n] for n in names) for r in picked)


#: DuckDB's type names -> PostgreSQL's (as format_type prints them); ids and every integer
#: width are BIGINT in PostgreSQL (DESIGN.md)
_PG_TYPES = {
    "BIGINT": "bigint",
    "INTEGER": "bigint",
    "VARCHAR": "text",
    "DOUBLE": "double precision",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
    "BIGINT[]": "bigint[]",
}


def sql_type(warehouse: object, duckdb_name: str) -> str:
    """The type name ``warehouse`` reports for what DuckDB calls ``duckdb_name``."""
    if isinstance(warehouse, DuckDBWarehouse):
        return duckdb_name
    return _PG_TYPES[duckdb_name]
