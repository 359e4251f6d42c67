"""One run's writes into DuckDB: rows staged in a file of the run's own, applied in one short
write of the warehouse at the end.

Why a staging file: a run reads from Backlog for minutes (rate limits) but needs the warehouse
for a second or two. Staging outside it lets other processes (the duckdb CLI, notebooks, BI
tools, the CLI beside ``serve``) open ``warehouse.duckdb`` while the run works: the warehouse is
opened only briefly at the start (read-only: which tables and columns exist) and, read-write, for
the commit (``duckdb_apply``). The staging file's row groups are small (``STAGING_ROW_GROUP``),
so DuckDB writes most staged rows to the file once, as each row group fills, rather than to the
write-ahead log and again at a checkpoint; the staging tables are committed every
``CHUNK_ROWS`` rows, which bounds what DuckDB holds for the open transaction. A failed or
aborted run deletes its staging file; a killed one leaves it, and the next run removes it
(``duckdb_staging``). Until the commit the real tables and the state are untouched.

Semantics per mode:

- replace: the tables are rebuilt from the declared schema; each table then holds exactly this
  run's rows and columns (declared ones plus any new column a batch brought).
- merge with ``full=True`` (a run without a cursor, which reads every row of the dataset): as
  replace, with merge's last-row-per-key; a type change of a column needs no separate run.
- append: rows get ``_run_id`` and ``_loaded_at``; rows an earlier attempt of the same run_id
  committed are removed first, so a retry never duplicates.
- merge: upsert on ``TableSpec.key`` (the last row of a key wins); the children of every parent
  written or deleted in the run are replaced by the children this run wrote for it.

Schema drift (append/merge, and within a replace run): a column unknown to the table is added
(older rows NULL); a column missing from a batch stays in the table and is NULL for those rows; a
column whose DuckDB type differs from the table's raises ``SchemaConflictError`` and the run rolls
back. A batch column of Arrow type ``null`` carries no type: it fills an existing column with NULL
and, when the table lacks it, is skipped until a batch brings the column with a real type.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from backlog_connector.reports.base import TableBatch, TableSpec, UpdateMode
from backlog_connector.sinks import duckdb_staging as staging
from backlog_connector.sinks.arrow_batches import as_table, keys_table, last_per_key
from backlog_connector.sinks.base import SinkRun, WriteStats, table_name
from backlog_connector.sinks.duckdb_apply import (
    Applier,
    RunTable,
    Snapshot,
    check_ownership,
    delete_matching,
    select_as,
)
from backlog_connector.sinks.duckdb_columns import (
    NULL_TYPE,
    arrow_columns,
    conflicts_checked,
    declared_columns,
    registered,
)
from backlog_connector.sinks.duckdb_failures import run_failure
from backlog_connector.sinks.duckdb_file import COMMIT_WAIT_SECONDS, WarehouseFile
from backlog_connector.sinks.errors import RunFinishedError
from backlog_connector.sinks.naming import quote
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

_DELETED = "deleted_keys"
#: the staging connection's threads: its inserts of small batches gain nothing from more (they
#: run beside the reading thread, which needs the other core) and cost about a fifth more CPU
STAGING_THREADS = 1
#: rows per row group of the staging file (DuckDB's default is 122,880): a transaction's appends
#: are written to the file as each row group fills, instead of to the write-ahead log and again
#: at the checkpoint
STAGING_ROW_GROUP = 16_384
#: staged rows per commit of the staging tables: bounds what DuckDB holds for the transaction.
#: Each commit costs tens of milliseconds of CPU; at 200,000 rather than 50,000 a 100,000-issue
#: run (about 740,000 staged rows with its child tables) stages with about 0.6 s less CPU and
#: the same peak RSS; a single commit at the end (1,000,000) added 50 MB and saved nothing more
CHUNK_ROWS = 200_000
_STAGE_DB = "stage"


class DuckDBSinkRun(SinkRun):
    """A run writing the tables of one dataset (``base``) through its own staging file.

    Use it from one thread. Any failure inside ``write``/``delete``/``commit`` rolls the whole
    run back (its staging file deleted) before the error propagates; the tables stay as they
    were. ``on_wait(message)`` hears about waits for other processes to let go of the file.
    """

    def __init__(
        self,
        warehouse: WarehouseFile,
        base: str,
        tables: Sequence[TableSpec],
        mode: UpdateMode,
        run_id: str,
        *,
        full: bool = False,
        memory_limit: str | None = None,
        commit_wait: float = COMMIT_WAIT_SECONDS,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self._warehouse = warehouse
        self._base = base
        self._mode = mode
        # a full merge rebuilds the tables like replace (see the module docstring)
        self._rebuild = mode is UpdateMode.REPLACE or (full and mode is UpdateMode.MERGE)
        self._run_id = run_id
        self._memory_limit = memory_limit
        self._commit_wait = commit_wait
        self._on_wait = on_wait
        self._loaded_at = datetime.now(UTC)
        self._open = True
        self._in_transaction = False
        self._pending_rows = 0
        self._stats = WriteStats()
        self._tables = {
            s.suffix: RunTable(table_name(base, s.suffix), s, stage=f"stage_{i}")
            for i, s in enumerate(tables)
        }
        self._deleted_any = False
        self._behind = WriteBehind(name="duckdb-sink-write-behind")
        snapshot = Snapshot(warehouse, [t.name for t in self._tables.values()])
        staging.remove_stale(warehouse.path)
        self._file: Path = staging.new_staging_file(warehouse.path)
        self._con: duckdb.DuckDBPyConnection | None = None
        with self._guard("opening the run"):
            # spills go beside the staging file, as they would for a connection opened on it
            self._con = duckdb.connect(
                ":memory:",
                config={"threads": STAGING_THREADS, "temp_directory": f"{self._file}.tmp"},
            )
            self._con.execute(
                f"ATTACH ? AS {_STAGE_DB} (ROW_GROUP_SIZE {STAGING_ROW_GROUP})", [str(self._file)]
            )
            self._con.execute(f"USE {_STAGE_DB}")
            if memory_limit is not None:
                self._con.execute("SET memory_limit = ?", [memory_limit])
            self._con.execute("SET TimeZone = 'UTC'")
            check_ownership(base, list(self._tables.values()), snapshot.owners, snapshot.existing)
            self._begin()
            for table in self._tables.values():
                self._prepare(table, snapshot)
            if mode is not UpdateMode.APPEND:
                self._create_deleted()
            self._commit_transaction()

    @property
    def _cur(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            raise RunFinishedError(f"the run {self._run_id!r} of {self._base!r} is closed")
        return self._con

    # -- the SinkRun contract -------------------------------------------------------------

    def write(self, batch: TableBatch) -> None:
        """Stage one batch (see the module docstring)."""
        with self._guard(f"writing to {table_name(self._base, batch.suffix)}"):
            table = self._table_for(batch.suffix)
            data = as_table(batch.batch)
            insert = table.inserts.get(data.schema)  # batches of a table mostly share a schema
            where = f"table {table.name!r}"
            check_batch(data, self._mode, table.spec, where, new_schema=insert is None)
            if data.num_rows == 0:
                return
            if insert is None:  # a new schema: checked and evolved now, so conflicts raise here
                self._behind.drain()
                self._begin()
                with self._registered(data) as view:
                    insert = self._evolve(table, arrow_columns(self._cur, view))
                    table.inserts[data.schema] = insert
                self._stage(table, data, insert)
            else:
                self._behind.submit(functools.partial(self._stage, table, data, insert))

    def delete(self, keys: Sequence[tuple[Any, ...]]) -> None:
        """Delete main-table rows by key, and their children (merge; also allowed in replace)."""
        main = self._main
        with self._guard(f"deleting from {main.name}"):
            refuse_delete(self._mode, self._base)
            if not keys:
                return
            data = keys_table(keys, main.spec.schema, main.spec.key)
            self._behind.drain()
            self._begin()
            with self._registered(data) as view:
                # rows staged so far go now; rows of the real tables at commit
                removed = delete_matching(
                    self._cur, quote(main.stage), main.spec.key, quote(view), main.spec.key
                )
                add_count(self._stats.rows_deleted, main.name, removed)
                for child in self._children:
                    removed = delete_matching(
                        self._cur, quote(child.stage), child.spec.parent_key, quote(view),
                        main.spec.key,
                    )  # fmt: skip
                    add_count(self._stats.rows_deleted, child.name, removed)
                self._deleted_any = True
                self._cur.execute(
                    f"INSERT INTO {_DELETED} SELECT DISTINCT {select_as(main.spec.key)} "
                    f"FROM {quote(view)} EXCEPT SELECT * FROM {_DELETED}"
                )

    supports_checkpoints = True

    def commit(self, state: dict[str, Any] | None) -> WriteStats:
        """Apply the staged rows, record the tables and ``state``, in one short transaction of
        the warehouse (waiting while other processes hold the file, up to ``commit_wait``)."""
        return self._commit(state, partial=False)

    def commit_checkpoint(self, state: dict[str, Any]) -> WriteStats:
        """Commit the rows of a failed run with its checkpoint cursor (marker: partial)."""
        return self._commit(state, partial=True)

    def _commit(self, state: dict[str, Any] | None, *, partial: bool) -> WriteStats:
        with self._guard(f"committing {self._base}"):
            state_json = dump_state(state)
            self._behind.drain()
            self._begin()
            for table in self._tables.values():
                self._dedupe(table)
            self._commit_transaction()
            self._cur.execute(f"CHECKPOINT {_STAGE_DB}")
            self._cur.close()
            self._con = None  # the commit attaches the file read-only
            applier = Applier(
                self._base, list(self._tables.values()), self._mode,
                rebuild=self._rebuild, run_id=self._run_id,
                deleted=_DELETED if self._deleted_any else None, stats=self._stats,
            )  # fmt: skip
            with self._warehouse.writing(
                wait=self._commit_wait, on_wait=self._on_wait, memory_limit=self._memory_limit
            ) as con:
                applier.apply_file(con, self._file, state_json, partial=partial)
            self._finish()
        return self._stats

    def abort(self) -> None:
        """Roll back everything this run wrote; safe to call more than once."""
        self._rollback()

    # -- opening ------------------------------------------------------------------------------

    @property
    def _main(self) -> RunTable:
        return self._tables[""]

    @property
    def _children(self) -> list[RunTable]:
        return [t for t in self._tables.values() if t.spec.suffix]

    def _prepare(self, table: RunTable, snapshot: Snapshot) -> None:
        declared = self._declared_columns(table.spec)
        stored = snapshot.columns.get(table.name.lower())
        if self._rebuild or stored is None:
            table.columns = {n.lower(): (n, t) for n, t in declared}
        else:
            table.columns = dict(stored)
            for name, type_ in self._conflicts_checked(table, declared):
                table.columns[name.lower()] = (name, type_)
                self._stats.columns_added.setdefault(table.name, []).append(name)
        columns = ", ".join(f"{quote(n)} {t}" for n, t in table.columns.values())
        self._cur.execute(f"CREATE TABLE {quote(table.stage)} ({columns})")

    def _declared_columns(self, spec: TableSpec) -> list[tuple[str, str]]:
        where = table_name(self._base, spec.suffix)
        return declared_columns(self._cur, spec, self._mode, where)

    def _create_deleted(self) -> None:
        main = self._main
        columns = ", ".join(
            f"c{i} {main.columns[name.lower()][1]}" for i, name in enumerate(main.spec.key)
        )
        if not columns:  # replace without a key: delete() has nothing to match on
            columns = "c0 BIGINT"
        self._cur.execute(f"CREATE TABLE {_DELETED} ({columns})")

    # -- writing ------------------------------------------------------------------------------

    def _table_for(self, suffix: str) -> RunTable:
        return table_for(self._tables, suffix)

    def _evolve(self, table: RunTable, incoming: list[tuple[str, str]]) -> list[str]:
        """Add the batch's new columns to the staging table; return the batch columns to
        insert."""
        typed = [(n, t) for n, t in incoming if t != NULL_TYPE]
        for name, type_ in self._conflicts_checked(table, typed):
            self._cur.execute(f"ALTER TABLE {quote(table.stage)} ADD COLUMN {quote(name)} {type_}")
            table.columns[name.lower()] = (name, type_)
            self._stats.columns_added.setdefault(table.name, []).append(name)
        return [n for n, t in incoming if n.lower() in table.columns and t != NULL_TYPE]

    def _conflicts_checked(
        self, table: RunTable, incoming: list[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        return conflicts_checked(
            table, incoming, UpdateMode.REPLACE if self._rebuild else self._mode
        )

    def _stage(self, table: RunTable, data: pa.Table, insert: list[str]) -> None:
        if self._mode is UpdateMode.MERGE:
            data = last_per_key(data, table.spec.key)
        self._begin()
        with self._registered(data) as view:
            self._insert(table, view, insert)
        self._pending_rows += data.num_rows
        if self._pending_rows >= CHUNK_ROWS:
            self._commit_transaction()

    def _insert(self, table: RunTable, view: str, columns: list[str]) -> None:
        targets = [quote(table.columns[c.lower()][0]) for c in columns]
        sources = [f"s.{quote(c)}" for c in columns]
        params: list[Any] = []
        if self._mode is UpdateMode.APPEND:
            targets += [RUN_ID_COLUMN, LOADED_AT_COLUMN]
            sources += ["?", "?::TIMESTAMPTZ"]
            params = [self._run_id, self._loaded_at]
        row = self._cur.execute(
            f"INSERT INTO {quote(table.stage)} ({', '.join(targets)}) "
            f"SELECT {', '.join(sources)} FROM {quote(view)} AS s",
            params,
        ).fetchone()
        add_count(self._stats.rows_written, table.name, int(row[0]) if row else 0)

    def _registered(self, data: pa.Table) -> contextlib.AbstractContextManager[str]:
        return registered(self._cur, data)

    def _dedupe(self, table: RunTable) -> None:
        """Merge: keep the last staged row of each key (rowids grow with insertion)."""
        key = table.spec.key
        if self._mode is not UpdateMode.MERGE or not key:
            return
        cols = ", ".join(quote(c) for c in key)
        self._cur.execute(
            f"DELETE FROM {quote(table.stage)} WHERE rowid IN (SELECT r FROM ("
            f"SELECT rowid AS r, row_number() OVER (PARTITION BY {cols} ORDER BY rowid DESC) "
            f"AS n FROM {quote(table.stage)}) WHERE n > 1)"
        )

    # -- life cycle -----------------------------------------------------------------------------

    def _begin(self) -> None:
        if not self._in_transaction:
            self._cur.execute("BEGIN TRANSACTION")
            self._in_transaction = True

    def _commit_transaction(self) -> None:
        if self._in_transaction:
            self._cur.execute("COMMIT")
            self._in_transaction = False
        self._pending_rows = 0

    def _check_open(self) -> None:
        if not self._open:
            raise finished(self._run_id, self._base)

    @contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        """Roll the run back on any failure, and give DuckDB's errors a place in the tree."""
        self._check_open()
        try:
            yield
        except BaseException as exc:
            self._rollback()
            mapped = run_failure(doing, exc)
            if mapped is exc:
                raise
            raise mapped from exc

    def _rollback(self) -> None:
        if not self._open:
            return
        self._behind.close()  # the helper stops touching the connection before it closes
        self._finish()

    def _finish(self) -> None:
        self._open = False
        self._behind.close()
        if self._con is not None:
            with contextlib.suppress(duckdb.Error):
                self._con.close()
            self._con = None
        staging.release(self._file)
