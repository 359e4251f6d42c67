"""Columns of a DuckDB run: what the report declares, what a batch brings, and the conflicts
between those and the stored table (the same rules as every sink, in DuckDB's type names)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pyarrow as pa

from backlog_connector.reports.base import TableSpec, UpdateMode
from backlog_connector.sinks.duckdb_tables import RunTable
from backlog_connector.sinks.errors import BadBatchError, SchemaConflictError
from backlog_connector.sinks.naming import quote
from backlog_connector.sinks.run_rules import CONFLICT_FIX, LOADED_AT_COLUMN, RUN_ID_COLUMN

APPEND_COLUMNS = ((RUN_ID_COLUMN, "VARCHAR"), (LOADED_AT_COLUMN, "TIMESTAMP WITH TIME ZONE"))
#: how DuckDB names the type of an Arrow ``null`` column: no type to give
NULL_TYPE = '"NULL"'
_view_numbers = itertools.count()


@contextmanager
def registered(cur: duckdb.DuckDBPyConnection, data: pa.Table) -> Iterator[str]:
    """``data`` as a view of ``cur`` for the block; yields the view's name."""
    view = f"_backlog_connector_batch_{next(_view_numbers)}"
    cur.register(view, data)
    try:
        yield view
    finally:
        cur.unregister(view)


def arrow_columns(cur: duckdb.DuckDBPyConnection, view: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of a registered Arrow view, as DuckDB will read it."""
    rows = cur.execute(f"DESCRIBE SELECT * FROM {quote(view)}").fetchall()
    return [(row[0], row[1]) for row in rows]


def declared_columns(
    cur: duckdb.DuckDBPyConnection, spec: TableSpec, mode: UpdateMode, where: str
) -> list[tuple[str, str]]:
    """The (name, DuckDB type) columns ``spec`` declares, plus the append columns; an Arrow
    ``null`` declared type is a report bug."""
    with registered(cur, spec.schema.empty_table()) as view:
        declared = arrow_columns(cur, view)
    for name, type_ in declared:
        if type_ == NULL_TYPE:
            raise BadBatchError(
                f"table {where!r}: declared column {name!r} has Arrow type null; declare the "
                "column's real type in the report's schema"
            )
    if mode is UpdateMode.APPEND:
        declared += [c for c in APPEND_COLUMNS if c[0] not in spec.schema.names]
    return declared


def conflicts_checked(
    table: RunTable, incoming: list[tuple[str, str]], mode: UpdateMode
) -> list[tuple[str, str]]:
    """Raise ``SchemaConflictError`` on a type conflict with ``table`` (before anything
    changes; ``mode`` picks the fix named); return the columns to add."""
    new = []
    for name, type_ in incoming:
        current = table.columns.get(name.lower())
        if current is None:
            new.append((name, type_))
        elif current[1] != type_:
            raise SchemaConflictError(
                f"table {table.name!r}, column {current[0]!r}: the table holds {current[1]} "
                f"but the new data has {type_}; the sink does not guess a conversion. "
                + CONFLICT_FIX[mode]
            )
    return new
