"""Columns of a PostgreSQL run: the report's declared columns under their stored (63-byte)
names, what a batch brings, who owns the tables, and type conflicts with the stored table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from backlog_connector.reports.base import UpdateMode
from backlog_connector.sinks import postgres_meta as meta
from backlog_connector.sinks.errors import BadBatchError, SchemaConflictError, TableOwnershipError
from backlog_connector.sinks.postgres_apply import StagedTable
from backlog_connector.sinks.postgres_types import pg_identifier, pg_type
from backlog_connector.sinks.run_rules import CONFLICT_FIX, LOADED_AT_COLUMN, RUN_ID_COLUMN

APPEND_TYPES = {RUN_ID_COLUMN: "text", LOADED_AT_COLUMN: "timestamp with time zone"}


def check_ownership(cur: Any, schema: str, base: str, tables: Iterable[StagedTable]) -> None:
    """Refuse tables another dataset registered, or that the connector did not make."""
    registered = meta.owners(cur, schema)
    existing = meta.existing_tables(cur, schema)
    for table in tables:
        owner = registered.get(table.name)
        if owner is not None and owner != (base.lower(), table.spec.suffix):
            raise TableOwnershipError(
                f"table {table.name!r} already belongs to the dataset table {owner[0]!r}; "
                "give this dataset another table name"
            )
        if owner is None and table.name in existing:
            raise TableOwnershipError(
                f"table {schema}.{table.name} exists in PostgreSQL but was not created by "
                "Backlog Connector; drop or rename it, or give this dataset another table name"
            )


def stored_column(table: StagedTable, source: str) -> str:
    """The stored name of the report's column ``source`` (recorded when shortened)."""
    stored = pg_identifier(source)
    if stored != source:
        table.sources[stored] = source
    return stored


def declared_columns(table: StagedTable, mode: UpdateMode) -> list[tuple[str, str]]:
    """(stored name, PostgreSQL type) of the columns the report declares, plus the append
    columns; an Arrow ``null`` declared type is a report bug."""
    declared = []
    for item in table.spec.schema:
        found = pg_type(item.type)
        if found is None:
            raise BadBatchError(
                f"table {table.name!r}: declared column {item.name!r} has Arrow type null; "
                "declare the column's real type in the report's schema"
            )
        declared.append((stored_column(table, item.name), found.name))
    if mode is UpdateMode.APPEND:
        declared += [(n, t) for n, t in APPEND_TYPES.items() if n not in table.spec.schema.names]
    return declared


def batch_columns(
    table: StagedTable, schema: pa.Schema
) -> tuple[list[tuple[str, str, pa.DataType]], list[tuple[str, str]]]:
    """What to COPY of a batch of ``schema`` ((source, stored, Arrow type)) and its typed
    columns ((stored, PostgreSQL type)); Arrow ``null`` columns are left out (stay NULL)."""
    copy: list[tuple[str, str, pa.DataType]] = []
    typed: list[tuple[str, str]] = []
    for item in schema:
        found = pg_type(item.type)
        if found is None:
            continue
        stored = stored_column(table, item.name)
        copy.append((item.name, stored, found.arrow))
        typed.append((stored, found.name))
    return copy, typed


def conflicts_checked(
    table: StagedTable, incoming: list[tuple[str, str]], mode: UpdateMode
) -> list[tuple[str, str]]:
    """Raise ``SchemaConflictError`` on a type conflict (before anything changes; ``mode``
    picks the fix named); return the columns to add."""
    new = []
    for name, type_ in incoming:
        current = table.columns.get(name)
        if current is None:
            new.append((name, type_))
        elif current != type_:
            raise SchemaConflictError(
                f"table {table.name!r}, column {table.sources.get(name, name)!r}: the table "
                f"holds {current} but the new data has {type_}; the sink does not guess a "
                "conversion. " + CONFLICT_FIX[mode]
            )
    return new
