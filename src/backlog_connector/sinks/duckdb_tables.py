"""The tables of a DuckDB run: what each holds while the run works (``RunTable``), what the
warehouse held when it opened (``Snapshot``), and whose a table is (``check_ownership``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from backlog_connector.reports.base import TableSpec
from backlog_connector.sinks import duckdb_meta as meta
from backlog_connector.sinks.duckdb_file import WarehouseFile
from backlog_connector.sinks.duckdb_rows import StagedRows
from backlog_connector.sinks.errors import TableOwnershipError
from backlog_connector.sinks.naming import quote


@dataclass
class RunTable:
    """A table of the run; ``columns`` maps lower-cased name -> (name, DuckDB type), the
    columns it will have (the declared ones, the stored table's, and drift)."""

    name: str
    spec: TableSpec
    rows: StagedRows
    columns: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: batch schema -> the batch columns to insert, once checked and evolved for
    inserts: dict[pa.Schema, list[str]] = field(default_factory=dict)
    #: while a merge applies: the temporary table holding the rows this run leaves
    staged: str = ""
    #: while the run applies: the temporary table of its repeated keys (c0.., last row seq)
    repeats: str = ""


def table_columns(cur: duckdb.DuckDBPyConnection, table: str) -> dict[str, tuple[str, str]]:
    """Columns of a stored table: lower name -> (name, DuckDB type)."""
    rows = cur.execute(f"DESCRIBE {quote(table)}").fetchall()
    return {row[0].lower(): (row[0], row[1]) for row in rows}


def check_ownership(
    base: str,
    tables: Sequence[RunTable],
    owners: dict[str, tuple[str, str]],
    existing: dict[str, str],
) -> None:
    """Refuse tables another dataset registered, or that the connector did not make."""
    for table in tables:
        owner = owners.get(table.name.lower())
        if owner is not None and owner != (base.lower(), table.spec.suffix):
            raise TableOwnershipError(
                f"table {table.name!r} already belongs to the dataset table {owner[0]!r}; "
                "give this dataset another table name"
            )
        if owner is None and table.name.lower() in existing:
            raise TableOwnershipError(
                f"table {table.name!r} exists in the warehouse but was not created by "
                "Backlog Connector; drop or rename it, or give this dataset another table name"
            )


class Snapshot:
    """What the warehouse held when a run opened: registry, tables, the run's tables' columns."""

    def __init__(self, warehouse: WarehouseFile, names: Sequence[str]) -> None:
        self.owners: dict[str, tuple[str, str]] = {}
        self.existing: dict[str, str] = {}
        self.columns: dict[str, dict[str, tuple[str, str]]] = {}
        with warehouse.reading() as cur:
            if cur is None:
                return
            self.existing = meta.existing_tables(cur)
            self.owners = meta.owners(cur)
            for name in names:
                stored = self.existing.get(name.lower())
                if stored is not None:
                    self.columns[name.lower()] = table_columns(cur, stored)
