"""The short write of a DuckDB run: its staging file applied to the warehouse in one transaction.

The caller holds the warehouse open read-write (``duckdb_file.WarehouseFile.writing``) with the
run's staging file attached read-only as ``stage``; ``apply`` replaces, merges or appends the
staged tables, registers them and records the state, inside the transaction the caller opened.
Merge staging tables are already deduplicated (the last row of a key kept) before this runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from backlog_connector.reports.base import TableSpec, UpdateMode
from backlog_connector.sinks import duckdb_meta as meta
from backlog_connector.sinks.base import WriteStats
from backlog_connector.sinks.duckdb_file import WarehouseFile
from backlog_connector.sinks.errors import SchemaConflictError, TableOwnershipError
from backlog_connector.sinks.naming import quote
from backlog_connector.sinks.run_rules import CONFLICT_FIX, RUN_ID_COLUMN, add_count

#: the catalog name the staging file is attached under
STAGE_CATALOG = "stage"


@dataclass
class RunTable:
    """A table of the run; ``columns`` maps lower-cased name -> (name, DuckDB type), the
    staging table's columns (the declared ones, the stored table's, and drift)."""

    name: str
    spec: TableSpec
    stage: str = ""
    columns: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: batch schema -> the batch columns to insert, once checked and evolved for
    inserts: dict[pa.Schema, list[str]] = field(default_factory=dict)

    @property
    def staged(self) -> str:
        """The staging table as the applying connection names it."""
        return f"{STAGE_CATALOG}.{quote(self.stage)}"


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


def select_as(columns: Sequence[str]) -> str:
    """``"a" AS c0, "b" AS c1, ...``."""
    return ", ".join(f"{quote(c)} AS c{i}" for i, c in enumerate(columns))


def delete_matching(
    cur: duckdb.DuckDBPyConnection,
    target: str,
    target_cols: Sequence[str],
    source: str,
    source_cols: Sequence[str],
) -> int:
    """DELETE the rows of ``target`` whose ``target_cols`` equal ``source_cols`` of a row of
    ``source`` (both given as SQL references)."""
    match = " AND ".join(
        f"t.{quote(a)} = s.{quote(b)}" for a, b in zip(target_cols, source_cols, strict=True)
    )
    row = cur.execute(f"DELETE FROM {target} AS t USING {source} AS s WHERE {match}").fetchone()
    return int(row[0]) if row else 0


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


class Applier:
    """Apply a run's staged ``tables`` (main table first) on a warehouse connection."""

    _cur: duckdb.DuckDBPyConnection  # the connection of the ``apply`` under way

    def __init__(
        self,
        base: str,
        tables: Sequence[RunTable],
        mode: UpdateMode,
        *,
        rebuild: bool,
        run_id: str,
        deleted: str | None,
        stats: WriteStats,
    ) -> None:
        self._base = base
        self._tables = list(tables)
        self._mode = mode
        self._rebuild = rebuild
        self._run_id = run_id
        self._deleted = f"{STAGE_CATALOG}.{quote(deleted)}" if deleted else None
        self._stats = stats

    def apply_file(
        self,
        cur: duckdb.DuckDBPyConnection,
        staging: Path,
        state_json: str | None,
        *,
        partial: bool = False,
    ) -> None:
        """Attach the ``staging`` file read-only to the warehouse connection ``cur`` and apply
        it in one transaction (rolled back on any failure), then detach it."""
        cur.execute(f"ATTACH {_literal(str(staging))} AS {STAGE_CATALOG} (READ_ONLY)")
        try:
            cur.execute("BEGIN TRANSACTION")
            try:
                self.apply(cur, state_json, partial=partial)
                cur.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(duckdb.Error):
                    cur.execute("ROLLBACK")
                raise
        finally:
            with contextlib.suppress(duckdb.Error):
                cur.execute(f"DETACH {STAGE_CATALOG}")

    def apply(
        self, cur: duckdb.DuckDBPyConnection, state_json: str | None, *, partial: bool = False
    ) -> None:
        """Everything the run changes, inside the caller's transaction, with its commit marker
        (``partial``: a failed run's checkpoint)."""
        self._cur = cur
        meta.ensure_meta_tables(self._cur)
        existing = meta.existing_tables(self._cur)
        check_ownership(self._base, self._tables, meta.owners(self._cur), existing)
        if self._rebuild:
            for table in self._tables:
                self._cur.execute(
                    f"CREATE OR REPLACE TABLE {quote(table.name)} AS SELECT * FROM {table.staged}"
                )
        else:
            self._add_missing(existing)
            if self._mode is UpdateMode.MERGE:
                self._merge()
            else:
                for table in self._tables:
                    self._cur.execute(
                        f"DELETE FROM {quote(table.name)} WHERE {RUN_ID_COLUMN} = ?",
                        [self._run_id],
                    )
                    self._insert_staged(table)
        meta.register_tables(self._cur, self._base, [(t.name, t.spec.suffix) for t in self._tables])
        meta.write_state(self._cur, self._base, state_json, self._run_id)
        count = self._cur.execute(f"SELECT count(*) FROM {quote(self._main.name)}").fetchone()
        meta.write_commit(
            self._cur, self._base, self._run_id,
            rows_written=sum(self._stats.rows_written.values()),
            rows_deleted=sum(self._stats.rows_deleted.values()),
            table_rows=int(count[0]) if count else None, partial=partial,
        )  # fmt: skip

    @property
    def _main(self) -> RunTable:
        return self._tables[0]

    @property
    def _children(self) -> list[RunTable]:
        return self._tables[1:]

    def _add_missing(self, existing: dict[str, str]) -> None:
        """Create the tables that do not exist yet and add the run's new columns (the stored
        table may also have changed since the run opened: a type change there is a conflict)."""
        for table in self._tables:
            if table.name.lower() not in existing:
                columns = ", ".join(f"{quote(n)} {t}" for n, t in table.columns.values())
                self._cur.execute(f"CREATE TABLE {quote(table.name)} ({columns})")
                continue
            stored = table_columns(self._cur, table.name)
            for lower, (name, type_) in table.columns.items():
                current = stored.get(lower)
                if current is None:
                    self._cur.execute(
                        f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(name)} {type_}"
                    )
                elif current[1] != type_:
                    raise SchemaConflictError(
                        f"table {table.name!r}, column {current[0]!r}: the table holds "
                        f"{current[1]} but the new data has {type_}; the sink does not guess a "
                        "conversion. " + CONFLICT_FIX[self._mode]
                    )

    def _merge(self) -> None:
        """Delete what the run deleted or replaces, then insert the staged rows."""
        main = self._main
        key_cols = [f"c{i}" for i in range(len(main.spec.key))]
        if self._deleted is not None:
            removed = delete_matching(
                self._cur, quote(main.name), main.spec.key, self._deleted, key_cols
            )
            add_count(self._stats.rows_deleted, main.name, removed)
            for child in self._children:
                removed = delete_matching(
                    self._cur, quote(child.name), child.spec.parent_key, self._deleted, key_cols
                )
                add_count(self._stats.rows_deleted, child.name, removed)
        if self._children:
            # every parent the run wrote (as a parent, or through a child) gets its children
            # from this run only
            sources = [f"SELECT DISTINCT {select_as(main.spec.key)} FROM {main.staged}"]
            sources += [
                f"SELECT DISTINCT {select_as(c.spec.parent_key)} FROM {c.staged}"
                for c in self._children
            ]
            parents = "_backlog_connector_run_parents"
            self._cur.execute(
                f"CREATE OR REPLACE TEMP TABLE {parents} AS {' UNION '.join(sources)}"
            )
            for child in self._children:
                delete_matching(
                    self._cur, quote(child.name), child.spec.parent_key, parents, key_cols
                )
            self._cur.execute(f"DROP TABLE {parents}")
        for table in self._tables:
            if table.spec.key:
                delete_matching(
                    self._cur, quote(table.name), table.spec.key, table.staged, table.spec.key
                )
            self._insert_staged(table)

    def _insert_staged(self, table: RunTable) -> None:
        names = ", ".join(quote(n) for n, _ in table.columns.values())
        self._cur.execute(
            f"INSERT INTO {quote(table.name)} ({names}) SELECT {names} FROM {table.staged}"
        )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
