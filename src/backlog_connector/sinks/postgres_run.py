"""One run's writes into PostgreSQL: batches COPY'd into temporary tables, applied in one short
transaction at the end.

Each run has its own connection. Its batches stream into TEMPORARY staging tables (ADBC's
binary COPY), committed every ``CHUNK_ROWS`` rows; temporary tables belong to the session, so a
run killed at any moment leaves nothing behind and the real tables untouched. ``commit`` then
applies everything, the registry, the column map and the state in one transaction, with a
``lock_timeout``: when readers hold a table (TRUNCATE and ALTER wait for them), the attempt is
rolled back and tried again, up to ``lock_wait_seconds``, so an open reader delays a commit but
does not fail it.

Semantics per mode (as the DuckDB sink, with what views and grants need):

- replace (and merge with ``full=True``): ``TRUNCATE`` + ``INSERT ... SELECT`` into the same
  table, never a drop or a rename, so users' views and grants on it survive. Columns the run
  lacks are dropped unless a view uses them (then they stay, NULL); a column whose type changed
  is altered (the table is empty at that moment) unless a view uses it, which is a
  ``SchemaConflictError`` naming the fix. Full merge keeps the last row per key.
- merge: ``INSERT ... ON CONFLICT (key) DO UPDATE`` from the staged rows, duplicates across
  batches removed first (last one wins, by a sequence number given at staging); deleted keys
  removed with their children; the children of every parent written are replaced.
- append: rows carry ``_run_id`` and ``_loaded_at``; rows an earlier attempt of the same run_id
  committed are removed first.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from backlog_connector.reports.base import TableBatch, TableSpec, UpdateMode
from backlog_connector.sinks import postgres_meta as meta
from backlog_connector.sinks.arrow_batches import (
    as_table,
    keys_table,
    last_per_key,
)
from backlog_connector.sinks.base import SinkRun, WriteStats, table_name
from backlog_connector.sinks.errors import (
    BadBatchError,
    WarehouseBusyError,
)
from backlog_connector.sinks.naming import quote
from backlog_connector.sinks.postgres_apply import (
    SEQ_COLUMN,
    Applier,
    StagedTable,
    delete_using,
    stored_table_name,
)
from backlog_connector.sinks.postgres_columns import (
    batch_columns,
    check_ownership,
    conflicts_checked,
    declared_columns,
)
from backlog_connector.sinks.postgres_conn import (
    LOCK_NOT_AVAILABLE,
    sqlstate,
    translate,
)
from backlog_connector.sinks.postgres_types import conform, pg_type
from backlog_connector.sinks.run_rules import (
    LOADED_AT_COLUMN,
    RUN_ID_COLUMN,
    add_count,
    check_batch,
    dump_state,
    finished,
    refuse_delete,
    table_for,
)
from backlog_connector.sinks.write_behind import WriteBehind

log = logging.getLogger("backlog_connector.sinks")

#: staged rows per commit of the staging tables (keeps transactions short)
CHUNK_ROWS = 50_000
_RETRYABLE = (LOCK_NOT_AVAILABLE, "40P01", "40001")


class PostgresSinkRun(SinkRun):
    """A run writing the tables of one dataset (``base``) into ``schema``, from one thread.

    Any failure inside ``write``/``delete``/``commit`` rolls the run back and closes its
    connection (its staging tables go with it) before the error propagates.
    """

    def __init__(
        self,
        conn: Any,
        url: str,
        schema: str,
        base: str,
        tables: Sequence[TableSpec],
        mode: UpdateMode,
        run_id: str,
        *,
        full: bool = False,
        lock_wait_seconds: float = 600.0,
        chunk_rows: int = CHUNK_ROWS,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self._conn = conn
        self._cur = conn.cursor()
        self._url = url
        self._schema = schema
        self._base = base
        self._mode = mode
        self._rebuild = mode is UpdateMode.REPLACE or (full and mode is UpdateMode.MERGE)
        self._run_id = run_id
        self._lock_wait = max(0.0, lock_wait_seconds)
        self._chunk_rows = max(1, chunk_rows)
        self._on_wait = on_wait
        self._loaded_at = datetime.now(UTC)
        self._open = True
        self._pending = 0
        self._next_seq = 0
        self._stats = WriteStats()
        self._tables = {
            s.suffix: StagedTable(stored_table_name(base, s.suffix), s, stage=f"_bc_stage_{i}")
            for i, s in enumerate(tables)
        }
        self._deleted_any = False
        self._behind = WriteBehind(name="postgres-sink-write-behind")
        with self._guard("opening the run"):
            self._check_ownership()
            for table in self._tables.values():
                self._prepare(table)
            if mode is not UpdateMode.APPEND:
                key = self._main.key(self._main.spec.key) or ["c0"]
                types = [self._main.columns.get(k, "bigint") for k in key]
                cols = ", ".join(f"c{i} {t}" for i, t in enumerate(types))
                self._cur.execute(f"CREATE TEMP TABLE _bc_deleted ({cols})")
                self._cur.execute(f"CREATE TEMP TABLE _bc_delete_batch ({cols})")
            self._conn.commit()

    # -- the SinkRun contract -----------------------------------------------------------------

    def write(self, batch: TableBatch) -> None:
        """Stage one batch (see the module docstring)."""
        with self._guard(f"writing to {table_name(self._base, batch.suffix)}"):
            table = self._table_for(batch.suffix)
            data = as_table(batch.batch)
            copy = table.copies.get(data.schema)
            where = f"table {table.name!r}"
            check_batch(data, self._mode, table.spec, where, new_schema=copy is None)
            if data.num_rows == 0:
                return
            if copy is None:  # a new schema: checked and evolved now, so conflicts raise here
                self._behind.drain()
                copy = self._evolve(table, data.schema)
                table.copies[data.schema] = copy
                self._stage(table, data, copy)
            else:
                self._behind.submit(functools.partial(self._stage, table, data, copy))

    def delete(self, keys: Sequence[tuple[Any, ...]]) -> None:
        """Delete main-table rows by key, and their children (merge; also allowed in replace)."""
        main = self._main
        with self._guard(f"deleting from {main.name}"):
            refuse_delete(self._mode, self._base)
            if not keys:
                return
            self._behind.drain()
            data = keys_table(keys, main.spec.schema, main.spec.key)
            copy = [
                (name, f"c{i}", _arrow_of(data.schema.field(name).type))
                for i, name in enumerate(main.spec.key)
            ]
            self._cur.execute("TRUNCATE _bc_delete_batch")
            self._cur.adbc_ingest(
                "_bc_delete_batch", conform(data, copy), mode="append", temporary=True
            )
            key = main.key(main.spec.key)
            cols = [f"c{i}" for i in range(len(key))]
            removed = self._delete_using(main.stage, key, "_bc_delete_batch", cols)
            add_count(self._stats.rows_deleted, main.name, removed)
            for child in self._children:
                if not child.spec.parent_key:  # replace allows a child with no parent to match
                    continue
                parent = child.key(child.spec.parent_key)
                removed = self._delete_using(child.stage, parent, "_bc_delete_batch", cols)
                add_count(self._stats.rows_deleted, child.name, removed)
            names = ", ".join(cols)
            self._cur.execute(
                f"INSERT INTO _bc_deleted SELECT DISTINCT {names} FROM _bc_delete_batch "
                f"EXCEPT SELECT {names} FROM _bc_deleted"
            )
            self._deleted_any = True

    supports_checkpoints = True

    def commit(self, state: dict[str, Any] | None) -> WriteStats:
        """Apply the staged rows, record the tables and ``state``, in one transaction (tried
        again while readers hold a table, up to ``lock_wait_seconds``)."""
        return self._commit(state, partial=False)

    def commit_checkpoint(self, state: dict[str, Any]) -> WriteStats:
        """Commit the rows of a failed run with its checkpoint cursor (marker: partial)."""
        return self._commit(state, partial=True)

    def _commit(self, state: dict[str, Any] | None, *, partial: bool) -> WriteStats:
        with self._guard(f"committing {self._base}"):
            state_json = dump_state(state)
            self._behind.drain()
            self._conn.commit()
            deadline = time.monotonic() + self._lock_wait
            attempt = 0
            while True:
                attempt += 1
                try:
                    stats = Applier(
                        self._cur,
                        self._schema,
                        self._base,
                        self._tables,
                        self._mode,
                        rebuild=self._rebuild,
                        run_id=self._run_id,
                        deleted_any=self._deleted_any,
                        staged=self._stats,
                    ).apply(state_json, partial=partial)
                    self._conn.commit()
                    break
                except Exception as exc:
                    if sqlstate(exc) not in _RETRYABLE:
                        raise
                    self._conn.rollback()
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise WarehouseBusyError(
                            f"committing {self._base}: other sessions held its tables for "
                            f"{self._lock_wait:.0f} s ({attempt} attempts); close the readers "
                            "of these tables in PostgreSQL (see pg_stat_activity: long-open "
                            "transactions of BI tools or notebooks), then run again"
                        ) from None
                    message = f"waiting for readers of {self._schema}.{self._main.name} to let go"
                    log.info("%s (attempt %d)", message, attempt)
                    if self._on_wait is not None:
                        self._on_wait(message)
                    time.sleep(min(1.0, left))
            self._stats = stats
            self._finish()
        return self._stats

    def abort(self) -> None:
        """Roll back everything this run wrote; safe to call more than once."""
        self._rollback()

    # -- opening ------------------------------------------------------------------------------

    @property
    def _main(self) -> StagedTable:
        return self._tables[""]

    @property
    def _children(self) -> list[StagedTable]:
        return [t for t in self._tables.values() if t.spec.suffix]

    def _check_ownership(self) -> None:
        check_ownership(self._cur, self._schema, self._base, self._tables.values())

    def _prepare(self, table: StagedTable) -> None:
        declared = self._declared(table)
        exists = table.name in meta.existing_tables(self._cur, self._schema)
        if self._rebuild or not exists:
            table.columns = dict(declared)
        else:
            table.columns = meta.table_columns(self._cur, self._schema, table.name)
            for name, type_ in self._conflicts_checked(table, declared):
                table.columns[name] = type_
                self._stats.columns_added.setdefault(table.name, []).append(
                    table.sources.get(name, name)
                )
        table.seq = self._mode is UpdateMode.MERGE and bool(table.spec.key)
        columns = [f"{quote(n)} {t}{self._default_of(n)}" for n, t in table.columns.items()]
        if table.seq:
            columns.append(f"{SEQ_COLUMN} bigint")
        self._cur.execute(f"CREATE TEMP TABLE {table.stage} ({', '.join(columns)})")

    def _declared(self, table: StagedTable) -> list[tuple[str, str]]:
        return declared_columns(table, self._mode)

    def _default_of(self, column: str) -> str:
        """Staging defaults fill the append columns, so batches need not carry them."""
        if self._mode is not UpdateMode.APPEND:
            return ""
        if column == RUN_ID_COLUMN:
            return f" DEFAULT {_literal(self._run_id)}"
        if column == LOADED_AT_COLUMN:
            return f" DEFAULT {_literal(self._loaded_at.isoformat())}::timestamptz"
        return ""

    # -- writing ------------------------------------------------------------------------------

    def _table_for(self, suffix: str) -> StagedTable:
        return table_for(self._tables, suffix)

    def _evolve(self, table: StagedTable, schema: pa.Schema) -> list[tuple[str, str, pa.DataType]]:
        """Add the batch's new columns to the staging table; return what to COPY."""
        copy, typed = batch_columns(table, schema)
        for name, type_ in self._conflicts_checked(table, typed):
            self._cur.execute(f"ALTER TABLE {table.stage} ADD COLUMN {quote(name)} {type_}")
            table.columns[name] = type_
            self._stats.columns_added.setdefault(table.name, []).append(
                table.sources.get(name, name)
            )
        return copy

    def _conflicts_checked(
        self, table: StagedTable, incoming: list[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        return conflicts_checked(
            table, incoming, UpdateMode.REPLACE if self._rebuild else self._mode
        )

    def _stage(
        self, table: StagedTable, data: pa.Table, copy: list[tuple[str, str, pa.DataType]]
    ) -> None:
        if table.seq:
            data = last_per_key(data, table.spec.key)
        rows = conform(data, copy)
        if table.seq:
            start, self._next_seq = self._next_seq, self._next_seq + rows.num_rows
            # one number per row, in order: the last staged row of a key wins at commit
            rows = rows.append_column(
                SEQ_COLUMN, pa.array(range(start, start + rows.num_rows), pa.int64())
            )
        self._cur.adbc_ingest(table.stage, rows, mode="append", temporary=True)
        add_count(self._stats.rows_written, table.name, rows.num_rows)
        self._pending += rows.num_rows
        if self._pending >= self._chunk_rows:
            self._conn.commit()
            self._pending = 0

    def _delete_using(
        self, target: str, target_cols: Sequence[str], source: str, source_cols: Sequence[str]
    ) -> int:
        return delete_using(self._cur, target, target_cols, source, source_cols)

    # -- life cycle -------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if not self._open:
            raise finished(self._run_id, self._base)

    @contextlib.contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        """Roll the run back on any failure, and give the driver's errors a place in the tree."""
        self._check_open()
        try:
            yield
        except BaseException as exc:
            self._rollback()
            if isinstance(exc, Exception) and type(exc).__module__.startswith("adbc_"):
                raise translate(exc, doing, self._url) from None
            raise

    def _rollback(self) -> None:
        if not self._open:
            return
        self._behind.close()  # the helper stops touching the connection before it rolls back
        with contextlib.suppress(Exception):
            self._conn.rollback()
        self._finish()

    def _finish(self) -> None:
        self._open = False
        self._behind.close()
        with contextlib.suppress(Exception):
            self._cur.close()
        with contextlib.suppress(Exception):
            self._conn.close()  # the session's temporary tables go with it


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _arrow_of(arrow: pa.DataType) -> pa.DataType:
    found = pg_type(arrow)
    if found is None:
        raise BadBatchError("a key column cannot have Arrow type null")
    return found.arrow
