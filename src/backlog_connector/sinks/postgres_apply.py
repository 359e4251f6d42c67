"""The applying transaction of a PostgreSQL sink run: the staged rows into the real tables.

``Applier(run).apply(state_json)`` runs inside the transaction the run opened (the run commits
it, or rolls it back and tries again when a lock was not granted in time, so everything here
must be safe to repeat). See ``postgres_run`` for the semantics per update mode.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from backlog_connector.reports.base import TableSpec, UpdateMode
from backlog_connector.sinks import postgres_meta as meta
from backlog_connector.sinks.base import WriteStats, table_name
from backlog_connector.sinks.errors import SchemaConflictError
from backlog_connector.sinks.naming import quote
from backlog_connector.sinks.postgres_types import pg_identifier
from backlog_connector.sinks.run_rules import RUN_ID_COLUMN, add_count

log = logging.getLogger("backlog_connector.sinks")

#: how long one applying attempt waits for a table lock before it rolls back and tries again;
#: short, because while TRUNCATE waits for a reader, new readers queue behind it
LOCK_TIMEOUT_MS = 250
#: the staging column that orders a run's rows: the last staged row of a key wins
SEQ_COLUMN = "_backlog_connector_seq"


@dataclass
class StagedTable:
    """A table of the run. ``columns``: stored name -> PostgreSQL type, in table order;
    ``sources``: stored name -> the report's name, for the shortened ones."""

    name: str
    spec: TableSpec
    stage: str
    columns: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    #: batch schema -> the (source, stored, Arrow type) columns to COPY
    copies: dict[pa.Schema, list[tuple[str, str, pa.DataType]]] = field(default_factory=dict)
    seq: bool = False

    def key(self, columns: Sequence[str]) -> list[str]:
        return [pg_identifier(c) for c in columns]


def stored_table_name(base: str, suffix: str) -> str:
    """The PostgreSQL name of a dataset table: lower case, shortened past 63 bytes."""
    return pg_identifier(table_name(base.lower(), suffix))


def delete_using(
    cur: Any, target: str, target_cols: Sequence[str], source: str, source_cols: Sequence[str]
) -> int:
    """DELETE the rows of ``target`` matching a row of ``source`` column by column."""
    match = " AND ".join(
        f"t.{quote(a)} = s.{quote(b)}" for a, b in zip(target_cols, source_cols, strict=True)
    )
    cur.execute(f"DELETE FROM {target} AS t USING {source} AS s WHERE {match}")
    return max(0, int(cur.rowcount or 0))


class Applier:
    """One attempt at applying a run's staged ``tables`` (by suffix) on its cursor ``cur``;
    ``staged`` is what staging counted (the result adds the applied deletions to a copy)."""

    def __init__(
        self,
        cur: Any,
        schema: str,
        base: str,
        tables: dict[str, StagedTable],
        mode: UpdateMode,
        *,
        rebuild: bool,
        run_id: str,
        deleted_any: bool,
        staged: WriteStats,
    ) -> None:
        self._cur = cur
        self._schema = schema
        self._base = base
        self._tables = tables
        self._mode = mode
        self._rebuild = rebuild
        self._run_id = run_id
        self._deleted_any = deleted_any
        self._stats = staged

    @property
    def _main(self) -> StagedTable:
        return self._tables[""]

    @property
    def _children(self) -> list[StagedTable]:
        return [t for t in self._tables.values() if t.spec.suffix]

    def _delete_using(
        self, target: str, target_cols: Sequence[str], source: str, source_cols: Sequence[str]
    ) -> int:
        return delete_using(self._cur, target, target_cols, source, source_cols)

    def apply(self, state_json: str | None, *, partial: bool = False) -> WriteStats:
        """One attempt at the applying transaction, with the run's commit marker (``partial``:
        a failed run's checkpoint); the caller commits or rolls back."""
        stats = WriteStats(
            rows_written=dict(self._stats.rows_written),
            rows_deleted=dict(self._stats.rows_deleted),
            columns_added={k: list(v) for k, v in self._stats.columns_added.items()},
        )
        self._cur.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'")
        self._cur.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            (f"{self._schema}.{self._base.lower()}",),
        )
        existing = meta.existing_tables(self._cur, self._schema)
        if self._rebuild:
            for table in self._tables.values():
                self._rebuild_table(table, table.name in existing)
        else:
            for table in self._tables.values():
                self._ensure_table(table, table.name in existing)
            if self._mode is UpdateMode.MERGE:
                self._merge(stats)
            else:
                for table in self._tables.values():
                    self._cur.execute(
                        f"DELETE FROM {self._q(table.name)} WHERE {RUN_ID_COLUMN} = $1",
                        (self._run_id,),
                    )
                    self._insert_staged(table)
        if self._mode is UpdateMode.MERGE:
            self._index_keys()
        meta.register_tables(
            self._cur, self._schema, self._base,
            [(t.name, t.spec.suffix) for t in self._tables.values()],
        )  # fmt: skip
        for table in self._tables.values():
            meta.register_columns(
                self._cur, self._schema, table.name, table.sources, replace=self._rebuild
            )
        meta.write_state(self._cur, self._schema, self._base, state_json, self._run_id)
        self._cur.execute(f"SELECT count(*) FROM {self._q(self._main.name)}")
        counted = self._cur.fetchone()
        meta.write_commit(
            self._cur, self._schema, self._base, self._run_id,
            rows_written=sum(stats.rows_written.values()),
            rows_deleted=sum(stats.rows_deleted.values()),
            table_rows=int(counted[0]) if counted else None, partial=partial,
        )  # fmt: skip
        return stats

    def _q(self, name: str) -> str:
        return meta.qualified(self._schema, name)

    def _ensure_table(self, table: StagedTable, exists: bool) -> None:
        if not exists:
            columns = ", ".join(f"{quote(n)} {t}" for n, t in table.columns.items())
            self._cur.execute(f"CREATE TABLE {self._q(table.name)} ({columns})")
            return
        stored = meta.table_columns(self._cur, self._schema, table.name)
        for name, type_ in table.columns.items():
            if name not in stored:
                self._cur.execute(
                    f"ALTER TABLE {self._q(table.name)} ADD COLUMN {quote(name)} {type_}"
                )

    def _rebuild_table(self, table: StagedTable, exists: bool) -> None:
        """Replace / full merge: the same table emptied and refilled (views survive)."""
        if not exists:
            self._ensure_table(table, exists=False)
        else:
            self._cur.execute(f"TRUNCATE {self._q(table.name)}")
            stored = meta.table_columns(self._cur, self._schema, table.name)
            used = meta.columns_views_use(self._cur, self._schema, table.name)
            for name, type_ in table.columns.items():
                if name not in stored:
                    self._cur.execute(
                        f"ALTER TABLE {self._q(table.name)} ADD COLUMN {quote(name)} {type_}"
                    )
                elif stored[name] != type_:
                    if name in used:
                        raise SchemaConflictError(
                            f"table {self._schema}.{table.name}, column {name!r}: the new data "
                            f"has {type_} where the table holds {stored[name]}, and a view (or "
                            "rule) uses the column, so its type cannot change; drop that view, "
                            "run the dataset, then create the view again"
                        )
                    # the table is empty at this point: nothing to convert
                    self._cur.execute(
                        f"ALTER TABLE {self._q(table.name)} ALTER COLUMN {quote(name)} TYPE "
                        f"{type_} USING NULL::{type_}"
                    )
            for name in stored:
                if name in table.columns:
                    continue
                if name in used:
                    log.info("kept column %s.%s: a view uses it (it stays NULL)", table.name, name)
                else:
                    self._cur.execute(
                        f"ALTER TABLE {self._q(table.name)} DROP COLUMN {quote(name)}"
                    )
        self._insert_staged(table)

    def _merge(self, stats: WriteStats) -> None:
        main = self._main
        key = main.key(main.spec.key)
        cols = [f"c{i}" for i in range(len(key))]
        if self._deleted_any:
            removed = self._delete_using(self._q(main.name), key, "_bc_deleted", cols)
            add_count(stats.rows_deleted, main.name, removed)
            for child in self._children:
                parent = child.key(child.spec.parent_key)
                removed = self._delete_using(self._q(child.name), parent, "_bc_deleted", cols)
                add_count(stats.rows_deleted, child.name, removed)
        if self._children:
            # every parent the run wrote (as a parent, or through a child) gets its children
            # from this run only
            sources = [f"SELECT {_as_c(key)} FROM {main.stage}"]
            sources += [
                f"SELECT {_as_c(c.key(c.spec.parent_key))} FROM {c.stage}" for c in self._children
            ]
            self._cur.execute("DROP TABLE IF EXISTS _bc_parents")
            self._cur.execute(f"CREATE TEMP TABLE _bc_parents AS {' UNION '.join(sources)}")
            for child in self._children:
                parent = child.key(child.spec.parent_key)
                self._delete_using(self._q(child.name), parent, "_bc_parents", cols)
        for table in self._tables.values():
            if table is main:
                self._upsert(main)
            else:
                self._insert_staged(table)

    def _upsert(self, table: StagedTable) -> None:
        key = table.key(table.spec.key)
        self._ensure_unique_key(table, key)
        names = [quote(n) for n in table.columns]
        updates = [f"{n} = excluded.{n}" for n in names if n not in {quote(k) for k in key}]
        action = f"DO UPDATE SET {', '.join(updates)}" if updates else "DO NOTHING"
        self._cur.execute(
            f"INSERT INTO {self._q(table.name)} ({', '.join(names)}) "
            f"{self._select_staged(table)} "
            f"ON CONFLICT ({', '.join(quote(k) for k in key)}) {action}"
        )

    def _insert_staged(self, table: StagedTable) -> None:
        names = ", ".join(quote(n) for n in table.columns)
        self._cur.execute(
            f"INSERT INTO {self._q(table.name)} ({names}) {self._select_staged(table)}"
        )

    def _select_staged(self, table: StagedTable) -> str:
        names = ", ".join(quote(n) for n in table.columns)
        if not table.seq:
            return f"SELECT {names} FROM {table.stage}"
        key = ", ".join(quote(k) for k in table.key(table.spec.key))
        return (
            f"SELECT {names} FROM (SELECT DISTINCT ON ({key}) * FROM {table.stage} "
            f"ORDER BY {key}, {SEQ_COLUMN} DESC) AS last_per_key"
        )

    def _index_keys(self) -> None:
        """Merge tables get a unique index on the key (ON CONFLICT needs it) and children an
        index on the parent key (per-parent replacement stays a lookup)."""
        self._ensure_unique_key(self._main, self._main.key(self._main.spec.key))
        for child in self._children:
            parent = child.key(child.spec.parent_key)
            index = pg_identifier(f"{child.name}__parent")
            self._cur.execute(
                f"CREATE INDEX IF NOT EXISTS {quote(index)} ON {self._q(child.name)} "
                f"({', '.join(quote(c) for c in parent)})"
            )

    def _ensure_unique_key(self, table: StagedTable, key: list[str]) -> None:
        index = pg_identifier(f"{table.name}__key")
        if meta.has_index(self._cur, self._schema, index):
            return
        names = ", ".join(quote(c) for c in key)
        self._cur.execute(
            f"SELECT 1 FROM {self._q(table.name)} GROUP BY {names} HAVING count(*) > 1 LIMIT 1"
        )
        if self._cur.fetchone() is not None:  # e.g. a table that replace runs wrote
            raise SchemaConflictError(
                f"table {self._schema}.{table.name} holds several rows per key {key}, so it "
                "cannot be merged into; run the dataset once with --full to rebuild it"
            )
        self._cur.execute(f"CREATE UNIQUE INDEX {quote(index)} ON {self._q(table.name)} ({names})")


def _as_c(columns: Sequence[str]) -> str:
    return ", ".join(f"{quote(c)} AS c{i}" for i, c in enumerate(columns))
